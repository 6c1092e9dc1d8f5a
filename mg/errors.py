"""One error vocabulary for the gateway, the SDK and the CLI.

Every non-2xx answer of the gateway is the spec's envelope::

    {"error": {"type", "message", "code", "is_retryable", "retry_after", "reset_at", "remediation"}}

The gateway raises these classes from its services and one middleware renders them; the SDK
parses an envelope back into the same class with :func:`from_envelope`; the CLI maps each family
to an exit code.

Class tree (HTTP status, code)::

    MonsterError
    ├── InvalidRequestError           400 INVALID_REQUEST
    │   ├── InvalidRoleError          400 INVALID_ROLE
    │   ├── InvalidMaxTokensError     400 INVALID_MAX_TOKENS
    │   ├── ModelNotFoundError        400 MODEL_NOT_FOUND
    │   ├── ContextOverflowError      400 CONTEXT_OVERFLOW
    │   └── PayloadTooLargeError      413 PAYLOAD_TOO_LARGE
    ├── AuthenticationError           401 INVALID_API_KEY
    ├── CreditsExhaustedError         402 CREDITS_EXHAUSTED
    ├── PermissionDeniedError         403 (family)
    │   ├── TosRequiredError          403 TOS_REQUIRED
    │   └── TierRestrictedError       403 TIER_RESTRICTED
    ├── NotFoundError                 404 NOT_FOUND
    ├── MethodNotAllowedError         405 METHOD_NOT_ALLOWED
    ├── ConflictError                 409 CONFLICT
    ├── RateLimitError                429 RATE_LIMITED
    │   ├── SpendCapExceededError     429 SPEND_CAP_EXCEEDED
    │   └── MonthlyCapExceededError   429 MONTHLY_CAP_EXCEEDED
    ├── InternalError                 500 INTERNAL_ERROR
    ├── InvalidModelOutputError       502 INVALID_MODEL_OUTPUT
    ├── ServiceUnavailableError       503 (family)
    │   ├── ProviderUnavailableError  503 PROVIDER_UNAVAILABLE
    │   └── MaintenanceError          503 MAINTENANCE
    └── APIConnectionError            (client side) CONNECTION_ERROR: no answer at all
        └── APITimeoutError           (client side) TIMEOUT

The two client-side classes are raised by the SDK only, never answered by the gateway: the
request did not get an HTTP answer (refused, reset, timed out, or a stream cut short).

Besides what the envelope says, an error carries ``request_id`` and ``attempts`` (filled in by the
SDK) and ``transient`` and ``usage`` (used inside the gateway); none of them is sent on the wire.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Protocol

from mg.times import format_time

__all__ = [
    "APIConnectionError",
    "APITimeoutError",
    "AuthenticationError",
    "ConflictError",
    "ContextOverflowError",
    "CreditsExhaustedError",
    "InternalError",
    "InvalidMaxTokensError",
    "InvalidModelOutputError",
    "InvalidRequestError",
    "InvalidRoleError",
    "MaintenanceError",
    "MethodNotAllowedError",
    "ModelNotFoundError",
    "MonsterError",
    "MonthlyCapExceededError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "ProviderUnavailableError",
    "RateLimitError",
    "ServiceUnavailableError",
    "SpendCapExceededError",
    "TierRestrictedError",
    "TosRequiredError",
    "from_envelope",
]


class TokenUsage(Protocol):
    """Token counts, as both the SDK's :class:`mg.types.Usage` and the gateway's carry them."""

    @property
    def prompt_tokens(self) -> int: ...

    @property
    def completion_tokens(self) -> int: ...


class MonsterError(Exception):
    """Base of every error the API can answer.

    ``status`` and ``code`` are the class's unless the answer said otherwise (an SDK may meet a
    code newer than itself). The fields that never travel in the envelope:

    - ``request_id``: the ``X-Request-Id`` of the answer (the SDK sets it; quote it in a report).
    - ``attempts``: how many times the SDK sent the request before giving up (1: no retry).
    - ``transient``: inside the gateway, whether the same request to the same provider may
      succeed if sent again (retries and fallback decide on it); ``is_retryable`` is what the
      client is told. Defaults to ``is_retryable``.
    - ``usage``: inside the gateway, the tokens a failed request consumed, billed all the same.
    """

    # Class defaults that an instance may override with what the server said.
    status: int = 500
    code: str = "INTERNAL_ERROR"
    type: ClassVar[str] = "internal_error"
    retryable: ClassVar[bool] = False
    default_remediation: ClassVar[str] = ""

    def __init__(
        self,
        message: str,
        *,
        remediation: str | None = None,
        retry_after: int | None = None,
        reset_at: datetime | str | None = None,
        status: int | None = None,
        code: str | None = None,
        is_retryable: bool | None = None,
        request_id: str | None = None,
        attempts: int = 1,
        transient: bool | None = None,
        usage: TokenUsage | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.remediation = remediation if remediation is not None else self.default_remediation
        self.retry_after = retry_after
        self.reset_at = reset_at
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        self.is_retryable = self.retryable if is_retryable is None else is_retryable
        self.request_id = request_id
        self.attempts = attempts
        self.transient = self.is_retryable if transient is None else transient
        self.usage = usage

    def to_envelope(self) -> dict[str, Any]:
        reset = self.reset_at
        if isinstance(reset, datetime):
            reset = format_time(reset)
        return {
            "error": {
                "type": self.type,
                "message": self.message,
                "code": self.code,
                "is_retryable": self.is_retryable,
                "retry_after": self.retry_after,
                "reset_at": reset,
                "remediation": self.remediation,
            }
        }

    def __str__(self) -> str:
        return self.message


class InvalidRequestError(MonsterError):
    status = 400
    code = "INVALID_REQUEST"
    type = "invalid_request"
    default_remediation = "Check the request body against the API reference."


class InvalidRoleError(InvalidRequestError):
    code = "INVALID_ROLE"
    type = "invalid_role"
    default_remediation = "Use one of the roles system, user, assistant, tool."


class InvalidMaxTokensError(InvalidRequestError):
    code = "INVALID_MAX_TOKENS"
    type = "invalid_max_tokens"
    default_remediation = "Set max_tokens between 1 and 128000, or leave it out."


class ModelNotFoundError(InvalidRequestError):
    code = "MODEL_NOT_FOUND"
    type = "model_not_found"
    default_remediation = "List the models you can use with GET /v1/models (mg models list)."


class ContextOverflowError(InvalidRequestError):
    code = "CONTEXT_OVERFLOW"
    type = "context_overflow"
    default_remediation = "Trim the history or switch to a model with a larger context window."


class PayloadTooLargeError(InvalidRequestError):
    status = 413
    code = "PAYLOAD_TOO_LARGE"
    type = "payload_too_large"
    default_remediation = "Send a smaller body: 64 KB for completions, 512 KB for embeddings."


class AuthenticationError(MonsterError):
    status = 401
    code = "INVALID_API_KEY"
    type = "authentication_error"
    default_remediation = (
        "Send 'Authorization: Bearer mg_test_…' with a valid key "
        "(mg login, or python -m local_gateway admin create-key)."
    )


class CreditsExhaustedError(MonsterError):
    status = 402
    code = "CREDITS_EXHAUSTED"
    type = "credits_exhausted"
    default_remediation = "Add credits or upgrade your tier."


class PermissionDeniedError(MonsterError):
    status = 403
    code = "PERMISSION_DENIED"
    type = "permission_denied"


class TosRequiredError(PermissionDeniedError):
    code = "TOS_REQUIRED"
    type = "tos_required"
    default_remediation = "Accept the Terms of Service in the portal."


class TierRestrictedError(PermissionDeniedError):
    code = "TIER_RESTRICTED"
    type = "tier_restricted"
    default_remediation = "Upgrade your tier or pick a model your tier includes (mg models list)."


class NotFoundError(MonsterError):
    status = 404
    code = "NOT_FOUND"
    type = "not_found"
    default_remediation = "Check the path and the id; ids belong to the account that made them."


class MethodNotAllowedError(MonsterError):
    status = 405
    code = "METHOD_NOT_ALLOWED"
    type = "method_not_allowed"
    default_remediation = "See the API reference for the methods this path accepts."


class ConflictError(MonsterError):
    status = 409
    code = "CONFLICT"
    type = "conflict"


class RateLimitError(MonsterError):
    status = 429
    code = "RATE_LIMITED"
    type = "rate_limited"
    retryable = True
    default_remediation = "Implement exponential backoff. SDKs handle this automatically."


class SpendCapExceededError(RateLimitError):
    code = "SPEND_CAP_EXCEEDED"
    type = "spend_cap_exceeded"
    default_remediation = "Daily spend cap reached; it resets at midnight UTC."


class MonthlyCapExceededError(RateLimitError):
    code = "MONTHLY_CAP_EXCEEDED"
    type = "monthly_cap_exceeded"
    default_remediation = "Increase the monthly cap or wait for the next billing cycle."


class InternalError(MonsterError):
    status = 500
    code = "INTERNAL_ERROR"
    type = "internal_error"
    default_remediation = "Retry later; if it persists, report the X-Request-Id of the answer."


class InvalidModelOutputError(MonsterError):
    """The model answered, twice, with output that does not validate against the asked schema."""

    status = 502
    code = "INVALID_MODEL_OUTPUT"
    type = "invalid_model_output"
    retryable = True
    default_remediation = "Retry, simplify the schema, or pick a model that is better at structured output."


class ServiceUnavailableError(MonsterError):
    status = 503
    code = "SERVICE_UNAVAILABLE"
    type = "service_unavailable"
    retryable = True


class ProviderUnavailableError(ServiceUnavailableError):
    code = "PROVIDER_UNAVAILABLE"
    type = "provider_unavailable"
    default_remediation = "Retry, or set allow_fallback: true."


class MaintenanceError(ServiceUnavailableError):
    code = "MAINTENANCE"
    type = "maintenance"
    default_remediation = "Check /status for the end of the maintenance window."


class APIConnectionError(MonsterError):
    """The SDK got no HTTP answer: connection refused or reset, or a stream cut short."""

    status = 0
    code = "CONNECTION_ERROR"
    type = "connection_error"
    retryable = True
    default_remediation = "Check the base URL and that the gateway is running (mg gateway status)."


class APITimeoutError(APIConnectionError):
    code = "TIMEOUT"
    type = "timeout"
    default_remediation = "The gateway did not answer in time; retry, or raise the timeout (MG_TIMEOUT)."


def _all_subclasses(cls: type[MonsterError]) -> list[type[MonsterError]]:
    out = [cls]
    for sub in cls.__subclasses__():
        out.extend(_all_subclasses(sub))
    return out


ERRORS_BY_CODE: dict[str, type[MonsterError]] = {c.code: c for c in _all_subclasses(MonsterError)}
_FAMILY_BY_STATUS: dict[int, type[MonsterError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    402: CreditsExhaustedError,
    403: PermissionDeniedError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    409: ConflictError,
    413: PayloadTooLargeError,
    429: RateLimitError,
    503: ServiceUnavailableError,
}


def from_envelope(status: int, body: Any) -> MonsterError:
    """Build the matching exception from an HTTP status and a decoded answer body."""
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        cls = _FAMILY_BY_STATUS.get(status, InternalError if status >= 500 else MonsterError)
        return cls(f"HTTP {status}", status=status, is_retryable=status in (429, 502, 503, 504))
    code = str(err.get("code") or "")
    cls = ERRORS_BY_CODE.get(code) or _FAMILY_BY_STATUS.get(status) or MonsterError
    retry_after = err.get("retry_after")
    return cls(
        str(err.get("message") or f"HTTP {status}"),
        remediation=err.get("remediation") or "",
        retry_after=int(retry_after) if isinstance(retry_after, int | float) else None,
        reset_at=err.get("reset_at"),
        status=status,
        code=code or None,
        is_retryable=bool(err.get("is_retryable", cls.retryable)),
    )
