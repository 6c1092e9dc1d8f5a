"""What the sync and async clients share and that does no I/O: options, headers, errors, retries."""

from __future__ import annotations

import email.utils
import json
import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from mg import __version__
from mg.errors import MonsterError, from_envelope

if TYPE_CHECKING:
    import httpx

DEFAULT_BASE_URL = "https://api.monstergaming.ai"
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 3


def normalize_base_url(url: str) -> str:
    """The gateway root: no trailing slash, no ``/v1`` (OpenAI-style URLs are accepted too)."""
    url = url.strip().rstrip("/")
    if url.endswith("/v1"):
        url = url[: -len("/v1")]
    if "://" not in url:
        url = "http://" + url
    return url


@dataclass(frozen=True)
class RetryEvent:
    """Told to ``on_retry`` before each wait: which retry comes next, after how long, and why."""

    attempt: int
    max_retries: int
    delay: float
    error: MonsterError


@dataclass
class RetryPolicy:
    """Exponential backoff with jitter for retryable errors; ``Retry-After`` wins when given.

    ``max_retries`` bounds the attempts (``0`` turns retrying off). An answer that asks to wait
    longer than ``max_wait`` is not waited for: the error goes to the caller at once.
    """

    max_retries: int = DEFAULT_MAX_RETRIES
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_wait: float = 60.0

    def delay(self, retries_done: int, error: MonsterError) -> float | None:
        """Seconds to wait before the next attempt, or None to give up."""
        if retries_done >= self.max_retries or not error.is_retryable:
            return None
        backoff = min(self.max_delay, self.initial_delay * 2.0**retries_done)
        # "Equal jitter": never less than half the backoff, so clients spread without hammering.
        jittered = backoff / 2 + random.uniform(0, backoff / 2)
        retry_after = error.retry_after
        if retry_after is not None:
            if retry_after > self.max_wait:
                return None
            return max(float(retry_after), 0.0) + random.uniform(0, min(1.0, backoff / 4))
        return jittered


def parse_retry_after(value: str | None) -> int | None:
    """``Retry-After`` as whole seconds: either a number or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0, int(when.timestamp() - time.time() + 0.999))


def error_from_response(status: int, content: bytes, headers: Mapping[str, str]) -> MonsterError:
    """The :mod:`mg.errors` class for an answer, from its envelope (or its status alone)."""
    try:
        body: Any = json.loads(content) if content else None
    except ValueError:
        body = None
    error = from_envelope(status, body)
    if error.retry_after is None:
        error.retry_after = parse_retry_after(headers.get("retry-after"))
    error.request_id = headers.get("x-request-id")
    return error


class ClientOptions(TypedDict, total=False):
    """The keyword options of both clients (see :class:`BaseClient`)."""

    timeout: float | None
    max_retries: int | None
    retry: bool
    on_retry: Callable[[RetryEvent], None] | None
    default_headers: Mapping[str, str] | None
    environ: Mapping[str, str] | None


def _env_number(environ: Mapping[str, str], name: str, kind: Callable[[str], Any], default: Any) -> Any:
    raw = environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return kind(raw)
    except ValueError as exc:
        raise ValueError(f"{name}={raw!r} is not a valid number") from exc


class BaseClient:
    """Settings and helpers of :class:`~mg.client.MonsterClient` and its async twin.

    ``api_key`` defaults to ``MG_API_KEY``, ``base_url`` to ``MG_BASE_URL`` or the hosted API,
    ``max_retries`` to ``MG_MAX_RETRIES`` or 3 (``0`` or ``retry=False`` turns retries off),
    ``timeout`` to ``MG_TIMEOUT`` or 60 seconds. ``on_retry`` is called before each wait.
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        retry: bool = True,
        on_retry: Callable[[RetryEvent], None] | None = None,
        default_headers: Mapping[str, str] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ if environ is None else environ
        self.api_key = api_key if api_key is not None else (env.get("MG_API_KEY") or None)
        self.base_url = normalize_base_url(base_url or env.get("MG_BASE_URL") or DEFAULT_BASE_URL)
        self.timeout = (
            timeout if timeout is not None else _env_number(env, "MG_TIMEOUT", float, DEFAULT_TIMEOUT)
        )
        if max_retries is None:
            max_retries = _env_number(env, "MG_MAX_RETRIES", int, DEFAULT_MAX_RETRIES)
        self.retry_policy = RetryPolicy(max_retries=max(0, max_retries) if retry else 0)
        self.on_retry = on_retry
        self.default_headers = dict(default_headers or {})

    @property
    def max_retries(self) -> int:
        return self.retry_policy.max_retries

    def _headers(self) -> dict[str, str]:
        headers = {"User-Agent": f"mg-python/{__version__}", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        headers.update(self.default_headers)
        return headers

    def _target(self, path: str) -> tuple[str, dict[str, str]]:
        """URL and headers of a request: a gateway path, or a presigned URL (which carries its own
        credential, so it gets no API key)."""
        if path.startswith(("https://", "http://")):
            return path, {"User-Agent": f"mg-python/{__version__}"}
        return self.base_url + path, self._headers()

    def _timeout(self) -> httpx.Timeout:
        import httpx

        return httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0))

    def _next_delay(self, retries_done: int, error: MonsterError) -> float | None:
        delay = self.retry_policy.delay(retries_done, error)
        if delay is None:
            error.attempts = retries_done + 1
            return None
        if self.on_retry is not None:
            self.on_retry(RetryEvent(retries_done + 1, self.max_retries, delay, error))
        return delay

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"


def transport_error(exc: Exception, base_url: str) -> MonsterError:
    """An httpx transport failure as :class:`APIConnectionError` / :class:`APITimeoutError`."""
    import httpx

    from mg.errors import APIConnectionError, APITimeoutError

    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"No answer from {base_url} in time ({type(exc).__name__}).")
    reason = str(exc) or type(exc).__name__
    return APIConnectionError(f"Cannot reach {base_url}: {reason}.")


def drop_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
