"""GET /v1/models (tier-filtered, OpenAI list shape), GET /v1/models/{id} and /v1/models/catalog.

``/v1/models/health`` (in ``health``) and ``/v1/models/catalog`` are fixed paths, which aiohttp's
router matches before the ``{model_id}`` pattern whatever the order they were added in; the
pattern takes ``/`` too, because local models are named ``local/<name>`` and a server such as
vLLM names its models ``org/name`` (the openai SDK sends the ``/`` percent-encoded).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from local_gateway.api.appkeys import SERVICES
from local_gateway.api.auth import authenticate
from local_gateway.api.body import json_response
from local_gateway.providers.base import ModelInfo
from local_gateway.services.accounts.tiers import tier_allows
from local_gateway.services.inference.models import find_visible_model, visible_models

routes = web.RouteTableDef()


def _model_object(model: ModelInfo, created: int) -> dict[str, Any]:
    return {"id": model.id, "object": "model", "created": created, "owned_by": model.provider}


@routes.get("/v1/models")
async def list_models(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    created = int(services.started_at)
    models = await visible_models(services.catalog, services.providers.local, principal)
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


@routes.get("/v1/models/{model_id:.+}")
async def retrieve_model(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    model = await find_visible_model(
        services.catalog, services.providers.local, principal, request.match_info["model_id"]
    )
    return json_response(_model_object(model, int(services.started_at)))
