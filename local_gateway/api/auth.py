"""Authentication and rate limiting for the handlers that need them."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from local_gateway.api.appkeys import SERVICES
from local_gateway.api.middleware import RESPONSE_HEADERS
from local_gateway.services.accounts.keys import Principal
from local_gateway.services.accounts.limits import rpm_for
from local_gateway.services.billing.context import RequestContext
from mg.errors import RateLimitError, TosRequiredError


async def optional_principal(request: web.Request) -> Principal | None:
    """The caller of a public route: None without an ``Authorization`` header, else its key's
    principal (an invalid key is still a 401). Public reads take nothing from the key's budget."""
    if not request.headers.get("Authorization"):
        return None
    return await authenticate(request, consume=False)


async def authenticate(
    request: web.Request, *, consume: bool = True, api_key: str | None = None, tos: bool = True
) -> Principal:
    """The caller's principal; ``consume`` takes one request from the key's per-minute budget.

    ``tos`` refuses (403 TOS_REQUIRED) a developer who signed up by magic link and has not yet
    accepted the terms; the routes of the account itself (keys, tokens, whoami) pass False.

    ``api_key`` is for the one route whose clients cannot set headers (Breakpad / Crashpad
    crash uploads pass it in the query string)."""
    services = request.app[SERVICES]
    header = f"Bearer {api_key}" if api_key is not None else request.headers.get("Authorization")
    principal = await services.keys.authenticate(header)
    request["principal"] = principal
    if tos and not principal.tos_accepted:
        raise TosRequiredError(
            "Accept the Terms of Service before using the API.",
            remediation="Tick the box in the portal (/portal), or POST /v1/auth/tos.",
        )
    limit = rpm_for(principal, services.settings.test_key_rpm)
    limiter = services.limiter
    decision = await (
        limiter.hit(principal.key.id, limit) if consume else limiter.peek(principal.key.id, limit)
    )
    request[RESPONSE_HEADERS] = decision.headers()
    if consume and not decision.allowed:
        tier = services.catalog.tiers[principal.tier].name
        kind = "test key" if principal.is_test else f"{tier} tier"
        raise RateLimitError(
            f"Rate limit exceeded for this {kind} ({limit} req/min).",
            retry_after=decision.retry_after,
            reset_at=datetime.fromtimestamp(decision.reset_epoch, UTC),
        )
    return principal


async def authenticated(request: web.Request) -> RequestContext:
    """:func:`authenticate`, as the context a service serves this request in (who, which, where)."""
    principal = await authenticate(request)
    return RequestContext(principal, request["request_id"], request.path)
