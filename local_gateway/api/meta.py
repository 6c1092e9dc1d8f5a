"""Key introspection: whoami and keys/me (health and version live in ``api/status.py``)."""

from __future__ import annotations

from aiohttp import web

from local_gateway.api.appkeys import SERVICES
from local_gateway.api.auth import authenticate
from local_gateway.api.body import json_response
from local_gateway.services.accounts.limits import rpm_for
from local_gateway.services.billing.money import micros_to_usd

routes = web.RouteTableDef()


@routes.get("/v1/whoami")
async def whoami(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    # Lightweight validation: it reports the budget without spending from it.
    principal = await authenticate(request, consume=False, tos=False)
    limit = rpm_for(principal, services.settings.test_key_rpm)
    return json_response(
        {
            "developer_id": principal.developer_id,
            "email": principal.developer.email,
            "key_id": principal.key.id,
            "key": principal.key.display,
            "tier": principal.tier,
            "environment": principal.key.environment,
            "game_id": None,
            "rate_limits": {"requests_per_minute": limit},
            "tos_accepted": principal.tos_accepted,
        }
    )


@routes.get("/v1/keys/me")
async def key_me(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request, consume=False)
    tier = services.catalog.tiers[principal.tier]
    balance = await services.billing.balances.exact(principal.developer_id)
    key = principal.key
    return json_response(
        {
            "key_id": key.id,
            "key": key.display,
            "name": key.name,
            "environment": key.environment,
            "developer_id": principal.developer_id,
            "email": principal.developer.email,
            "tier": principal.tier,
            "tier_name": tier.name,
            "credit_balance_usd": micros_to_usd(balance),
            "rate_limits": {
                "requests_per_minute": rpm_for(principal, services.settings.test_key_rpm),
                "daily_cap_usd": tier.daily_cap_usd,
            },
            "available_models": [m.id for m in services.catalog.available(principal.tier)],
            "data_region": "local",
            "allowed_providers": ["sandbox"] if principal.is_test else services.catalog.providers(),
            "blocked_providers": [],
            "created_at": key.created_at.isoformat().replace("+00:00", "Z"),
        }
    )
