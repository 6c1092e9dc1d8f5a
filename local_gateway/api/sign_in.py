"""Magic-link sign-in: ``POST /v1/auth/email``, ``GET /v1/auth/verify``, ``POST /v1/auth/tos``,
``POST /v1/auth/logout``."""

from __future__ import annotations

from aiohttp import web

from local_gateway.api.appkeys import SERVICES
from local_gateway.api.body import json_response, read_json
from local_gateway.api.sessions import (
    account_principal,
    check_csrf,
    clear_session,
    session_token,
    set_session,
)
from local_gateway.services.accounts.sign_in import LINK_TTL, normalize_email
from mg.errors import InvalidRequestError
from mg.times import format_time

routes = web.RouteTableDef()
BODY_LIMIT = 4 * 1024


def client_address(request: web.Request) -> str:
    return (request.remote or "unknown")[:64]


async def send_link(request: web.Request, email: str) -> str:
    """Ask for a link; the answer's words, the same whether or not the account exists."""
    services = request.app[SERVICES]
    await services.sign_in.request_link(email, client_address(request))
    where = "your inbox" if services.settings.smtp_url else "the gateway's outbox (mg gateway outbox)"
    return f"If {email} can sign in, a link is on its way to {where}. It works once, for 15 minutes."


@routes.post("/v1/auth/email")
async def auth_email(request: web.Request) -> web.Response:
    body = await read_json(request, BODY_LIMIT)
    email = normalize_email(body.get("email") if isinstance(body, dict) else None)
    message = await send_link(request, email)
    return json_response(
        {
            "object": "magic_link",
            "sent": True,
            "message": message,
            "expires_in": int(LINK_TTL.total_seconds()),
        }
    )


@routes.get("/v1/auth/verify")
async def auth_verify(request: web.Request) -> web.Response:
    token = request.query.get("token", "")
    if not token or len(token) > 200:
        raise InvalidRequestError("Pass the sign-in link's token: /v1/auth/verify?token=…")
    new = await request.app[SERVICES].sign_in.verify(token)
    response = web.Response(status=303, headers={"Location": "/portal", "Referrer-Policy": "no-referrer"})
    set_session(response, request, new)
    return response


@routes.post("/v1/auth/tos")
async def auth_tos(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await account_principal(request)
    await services.sign_in.accept_tos(principal.developer_id)
    await services.keys.developer_changed(principal.developer_id)
    accepted_at = principal.developer.tos_accepted_at or services.clock.now()
    return json_response(
        {"object": "tos_acceptance", "accepted": True, "accepted_at": format_time(accepted_at)}
    )


@routes.post("/v1/auth/logout")
async def auth_logout(request: web.Request) -> web.Response:
    token = session_token(request)
    ended = False
    if token is not None:
        check_csrf(request, request.headers.get("X-CSRF-Token"))
        ended = await request.app[SERVICES].sign_in.end(token)
    response = json_response({"object": "session", "signed_out": ended})
    clear_session(response)
    return response
