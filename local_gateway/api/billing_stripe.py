"""Billing through Stripe: ``GET /v1/billing/manage`` (a Checkout or billing-portal URL) and
``POST /v1/billing/stripe/webhook`` (Stripe's events, verified by ``Stripe-Signature``)."""

from __future__ import annotations

from aiohttp import web

from local_gateway.api.appkeys import SERVICES
from local_gateway.api.auth import authenticate
from local_gateway.api.body import json_response, read_limited
from local_gateway.services.billing.money import micros_to_usd
from local_gateway.services.billing.stripe_checkout import credits_micros

routes = web.RouteTableDef()
WEBHOOK_LIMIT = 256 * 1024


@routes.get("/v1/billing/manage")
async def manage(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request, consume=False)
    tier = request.query.get("tier") or None
    credit = credits_micros(request.query.get("credits_usd"))
    public = services.settings.public_url  # behind a proxy, the address users reach
    return_url = (public.rstrip("/") if public else f"{request.scheme}://{request.host}") + "/portal"
    body = await services.stripe.manage_url(
        principal.developer_id, principal.developer.email, tier, credit, return_url
    )
    return json_response(body)


@routes.post("/v1/billing/stripe/webhook")
async def stripe_webhook(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    payload = await read_limited(request, WEBHOOK_LIMIT, "Stripe event")
    event = services.stripe.verify(payload, request.headers.get("Stripe-Signature"))
    booked = await services.stripe.book(event)
    if booked.fresh and booked.developer_id is not None:
        if booked.tier is not None:
            await services.keys.set_tier_of(booked.developer_id, booked.tier)
        await services.billing.admission.book.invalidate(booked.developer_id)
    return json_response(
        {
            "received": True,
            "event_id": event.id,
            "booked": booked.fresh,
            "amount_usd": micros_to_usd(booked.amount_micros),
            "tier": booked.tier,
        }
    )
