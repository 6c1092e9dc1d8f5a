"""GET /v1/models/health (public): per-model success rate and latency, provider circuit states."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from local_gateway.api.appkeys import SERVICES
from local_gateway.api.body import json_response
from mg.times import format_time

routes = web.RouteTableDef()


def _time(epoch: float | None) -> str | None:
    return format_time(datetime.fromtimestamp(epoch, UTC)) if epoch is not None else None


def _status(stats: dict[str, Any] | None, circuit: str) -> str:
    if circuit == "open":
        return "down"
    if stats is None:
        return "unknown"
    if circuit == "half_open" or stats["success_rate"] < 0.95:
        return "degraded"
    return "healthy"


@routes.get("/v1/models/health")
async def models_health(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    snapshot = await services.health.snapshot()
    providers = {}
    for name, breaker in snapshot["providers"].items():
        providers[name] = dict(
            breaker, opened_at=_time(breaker["opened_at"]), retry_at=_time(breaker["retry_at"])
        )
    data = []
    for model in services.catalog.models.values():
        if model.kind != "chat" or model.api not in ("openai", "anthropic", "gemini"):
            continue
        stats = snapshot["models"].get(model.id)
        circuit = providers.get(model.provider, {}).get("state", "closed")
        data.append(
            {
                "id": model.id,
                "provider": model.provider,
                "status": _status(stats, circuit),
                "circuit": circuit,
                "configured": services.providers.is_configured(model),
                "requests_24h": stats["requests"] if stats else 0,
                "failures_24h": stats["failures"] if stats else 0,
                "success_rate_24h": stats["success_rate"] if stats else None,
                "latency_ms": stats["latency_ms"] if stats else {"p50": None, "p95": None, "p99": None},
                "last_request_at": _time(stats["last_seen_at"]) if stats else None,
            }
        )
    body = {
        "object": "list",
        "window_hours": int(snapshot["window_seconds"] // 3600),
        "generated_at": format_time(services.clock.now()),
        "data": data,
        "providers": providers,
    }
    return json_response(body, headers={"Cache-Control": "no-store"})
