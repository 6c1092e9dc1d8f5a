"""The portal's session cookie: setting it, clearing it, and authenticating by it.

Routes of the developer's account (``/portal/api/*``, ``/v1/auth/tos``) accept an API key or PAT
in ``Authorization``, or the session cookie; with the cookie, every request that changes
something must also carry the session's CSRF token (the ``X-CSRF-Token`` header, or the form
field of a portal form), which a page of another site cannot read.
"""

from __future__ import annotations

import ipaddress

from aiohttp import web

from local_gateway.api.appkeys import SERVICES
from local_gateway.api.auth import authenticate
from local_gateway.services.accounts.keys import Principal
from local_gateway.services.accounts.sign_in import SESSION_TTL, NewSession, csrf_matches
from mg.errors import AuthenticationError, PermissionDeniedError

SESSION_COOKIE = "mg_session"
CSRF_COOKIE = "mg_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def is_loopback(request: web.Request) -> bool:
    """A gateway reached on this machine: there is no TLS, so cookies cannot be ``Secure``."""
    host = (request.url.host or "").strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def set_session(response: web.StreamResponse, request: web.Request, new: NewSession) -> None:
    secure = not is_loopback(request)
    max_age = int(SESSION_TTL.total_seconds())
    response.set_cookie(
        SESSION_COOKIE, new.token, max_age=max_age, path="/", httponly=True, secure=secure, samesite="Lax"
    )
    # Readable by the page's own scripts and by clients (mg login) that echo it in X-CSRF-Token.
    response.set_cookie(
        CSRF_COOKIE, new.csrf, max_age=max_age, path="/", httponly=False, secure=secure, samesite="Strict"
    )


def clear_session(response: web.StreamResponse) -> None:
    response.del_cookie(SESSION_COOKIE, path="/")
    response.del_cookie(CSRF_COOKIE, path="/")


def session_token(request: web.Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or None


async def session_principal(request: web.Request) -> Principal | None:
    """The signed-in developer of the request's cookie, or None (no cookie, or it ended)."""
    token = session_token(request)
    if token is None:
        return None
    principal = await request.app[SERVICES].sign_in.principal(token)
    if principal is not None:
        request["principal"] = principal
    return principal


def check_csrf(request: web.Request, given: str | None) -> None:
    token = session_token(request)
    if token is None or not csrf_matches(token, given):
        raise PermissionDeniedError(
            "This request changes your account but carries no valid CSRF token.",
            remediation=f"Send the {CSRF_COOKIE} cookie's value in the {CSRF_HEADER} header.",
        )


async def account_principal(request: web.Request) -> Principal:
    """The caller of an account route: a key or PAT, else the session cookie (+ CSRF to change)."""
    if request.headers.get("Authorization"):
        return await authenticate(request, consume=False, tos=False)
    principal = await session_principal(request)
    if principal is None:
        raise AuthenticationError(
            "Sign in first: send an API key or PAT, or use the portal's session.",
            remediation="Sign in at /portal, or send 'Authorization: Bearer mg_pat_…'.",
        )
    if request.method not in SAFE_METHODS:
        check_csrf(request, request.headers.get(CSRF_HEADER))
    return principal
