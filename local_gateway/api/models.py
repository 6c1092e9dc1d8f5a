"""GET /v1/models (tier-filtered, OpenAI list shape) and GET /v1/models/catalog (public)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from local_gateway.api.appkeys import SERVICES
from local_gateway.api.auth import authenticate
from local_gateway.api.body import json_response
from local_gateway.providers.base import ModelInfo
from local_gateway.services.accounts.tiers import tier_allows

routes = web.RouteTableDef()


def _model_object(model: ModelInfo, created: int) -> dict[str, Any]:
    return {"id": model.id, "object": "model", "created": created, "owned_by": model.provider}


@routes.get("/v1/models")
async def list_models(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    created = int(services.started_at)
    models = services.catalog.available(principal.tier, kind=None)
    if not principal.is_test:
        # Live keys may also use whatever the developer's own local server offers.
        models = [*models, *await services.providers.local.models()]
    return json_response({"object": "list", "data": [_model_object(m, created) for m in models]})


@routes.get("/v1/models/catalog")
async def catalog(request: web.Request) -> web.Response:
    cat = request.app[SERVICES].catalog
    data = [
        {
            "id": m.id,
            "shorthand": m.id,
            "object": "model",
            "owned_by": m.provider,
            "display_name": m.display_name,
            "kind": m.kind,
            "tier_minimum": m.tier_minimum,
            "context_window": m.context_window,
            "max_output": m.max_output,
            "price_class": m.price_class,
            "capabilities": m.capabilities,
            "pricing": {"input_per_1m": m.input_per_1m, "output_per_1m": m.output_per_1m, "currency": "usd"},
            **({"dimensions": m.dimensions} if m.dimensions else {}),
            **({"fallback": cat.fallbacks[m.id]} if cat.fallbacks.get(m.id) else {}),
        }
        for m in cat.models.values()
    ]
    chat_models = [m for m in cat.models.values() if m.kind == "chat"]
    tiers = [
        {
            "id": t.id,
            "name": t.name,
            "price_monthly_usd": t.price_monthly_usd,
            "rate_limit_rpm": t.rpm,
            "models_available": sum(1 for m in chat_models if tier_allows(t.id, m.tier_minimum)),
        }
        for t in cat.tiers.values()
    ]
    meta = {"total": len(chat_models), "providers": cat.providers(), "tiers": tiers}
    return json_response(
        {"object": "list", "data": data, "_meta": meta}, headers={"Cache-Control": "public, max-age=3600"}
    )
