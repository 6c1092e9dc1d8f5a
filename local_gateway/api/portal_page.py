"""``/portal``: the server-rendered page of a signed-in developer, and the forms it posts.

Every form carries the session's CSRF token; a form that changes something redirects back to
``/portal`` (303), except create and rotate, which answer the page with the new key shown once.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from local_gateway.api.appkeys import SERVICES
from local_gateway.api.portal_html import Dashboard, dashboard, sign_in_page
from local_gateway.api.portal_keys import key_object
from local_gateway.api.sessions import check_csrf, clear_session, session_principal, session_token
from local_gateway.api.sign_in import send_link
from local_gateway.services.accounts.keys import NewKey, Principal
from local_gateway.services.accounts.sign_in import csrf_token, normalize_email
from local_gateway.services.billing.money import micros_to_usd
from mg.errors import AuthenticationError, InvalidRequestError, MonsterError, PayloadTooLargeError
from mg.times import format_time

routes = web.RouteTableDef()
FORM_LIMIT = 16 * 1024
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8", headers=HEADERS)


def back_to_portal() -> web.Response:
    return web.Response(status=303, headers={"Location": "/portal", **HEADERS})


async def render(request: web.Request, principal: Principal, **extra: Any) -> web.Response:
    services = request.app[SERVICES]
    developer_id = principal.developer_id
    now = services.clock.now()
    await services.billing.admission.expire(developer_id)
    balance = await services.billing.usage.balance(developer_id, services.settings.credit_low_percent)
    daily, monthly = await services.billing.limits.get(developer_id)
    report = await services.billing.usage.report(developer_id, 30)
    view = Dashboard(
        email=principal.developer.email,
        tier=services.catalog.tiers[principal.tier].name,
        csrf=csrf_token(session_token(request) or ""),
        tos_accepted=principal.tos_accepted,
        keys=[key_object(k, now) for k in await services.keys.list_keys(developer_id)],
        balance=balance,
        limits={
            "daily_cap_usd": micros_to_usd(daily) if daily is not None else None,
            "monthly_cap_usd": micros_to_usd(monthly) if monthly is not None else None,
            "tier_daily_cap_usd": services.catalog.tiers[principal.tier].daily_cap_usd,
        },
        usage_daily=report["daily"],
        **extra,
    )
    return html(dashboard(view))


async def _form(request: web.Request) -> Any:
    if (request.content_length or 0) > FORM_LIMIT:
        raise PayloadTooLargeError("A portal form is a few hundred bytes; this one is too large.")
    try:
        return await request.post()
    except (KeyError, ValueError) as exc:  # a multipart Content-Type without a usable boundary
        raise InvalidRequestError("The form could not be read; send it as a browser does.") from exc


async def _form_principal(request: web.Request) -> tuple[Principal, Any]:
    """The signed-in developer of a form post whose CSRF token matches, and the form."""
    form = await _form(request)
    principal = await session_principal(request)
    if principal is None:
        raise AuthenticationError("Your portal session has ended.", remediation="Sign in again at /portal.")
    token = form.get("csrf_token")
    check_csrf(request, token if isinstance(token, str) else None)
    return principal, form


@routes.get("/portal")
async def portal(request: web.Request) -> web.Response:
    principal = await session_principal(request)
    if principal is None:
        response = html(sign_in_page())
        if session_token(request) is not None:
            clear_session(response)  # a cookie of a session that ended or expired
        return response
    return await render(request, principal)


@routes.post("/portal/sign-in")
async def portal_sign_in(request: web.Request) -> web.Response:
    form = await _form(request)
    try:
        message = await send_link(request, normalize_email(form.get("email")))
    except MonsterError as exc:
        return html(sign_in_page(error=exc.message), status=exc.status)
    return html(sign_in_page(message=message))


@routes.post("/portal/sign-out")
async def portal_sign_out(request: web.Request) -> web.Response:
    """Signed out afterwards whatever the state before (an ended session just loses its cookie)."""
    form = await _form(request)
    token = session_token(request)
    if token is not None and await session_principal(request) is not None:
        given = form.get("csrf_token")
        check_csrf(request, given if isinstance(given, str) else None)
        await request.app[SERVICES].sign_in.end(token)
    response = back_to_portal()
    clear_session(response)
    return response


def _new_key_view(new: NewKey, old_expires: str | None = None) -> dict[str, Any]:
    return {"key": new.api_key, "id": new.key.id, "old_expires_at": old_expires}


@routes.post("/portal/keys")
async def portal_create_key(request: web.Request) -> web.Response:
    principal, form = await _form_principal(request)
    environment = form.get("environment") if form.get("environment") in ("test", "live") else "test"
    name = str(form.get("name") or "").strip()[:200] or None
    new = await request.app[SERVICES].keys.create_for(principal.developer_id, str(environment), name)
    return await render(request, principal, new_key=_new_key_view(new))


@routes.post("/portal/keys/{key_id}/rotate")
async def portal_rotate_key(request: web.Request) -> web.Response:
    principal, _ = await _form_principal(request)
    new = await request.app[SERVICES].keys.rotate(principal.developer_id, request.match_info["key_id"])
    expires = new.replaced.expires_at if new.replaced is not None else None
    return await render(
        request, principal, new_key=_new_key_view(new, format_time(expires) if expires else None)
    )


@routes.post("/portal/keys/{key_id}/revoke")
async def portal_revoke_key(request: web.Request) -> web.Response:
    principal, _ = await _form_principal(request)
    await request.app[SERVICES].keys.revoke_for(principal.developer_id, request.match_info["key_id"])
    return back_to_portal()


@routes.post("/portal/tos")
async def portal_tos(request: web.Request) -> web.Response:
    principal, form = await _form_principal(request)
    if form.get("accept"):
        services = request.app[SERVICES]
        await services.sign_in.accept_tos(principal.developer_id)
        await services.keys.developer_changed(principal.developer_id)
    return back_to_portal()
