"""Per-request metrics and the maintenance gate, inside ``request_context`` (which renders the
MAINTENANCE envelope this raises, and adds the request id)."""

from __future__ import annotations

import time
from datetime import datetime

from aiohttp import web
from aiohttp.typedefs import Handler

from local_gateway.api.appkeys import SERVICES
from local_gateway.services.core import tracing
from local_gateway.services.core.tracing import failed, span
from mg.errors import MaintenanceError, MonsterError
from mg.times import format_time

# Monitors and operators must see the gateway while the rest of the API is closed.
OPEN_DURING_MAINTENANCE = frozenset(
    {
        "/status",
        "/v1/status",
        "/v1/health",
        "/v1/slo",
        "/v1/version",
        "/v1/changelog",
        "/metrics",
        "/v1/models/health",
    }
)


def _route(request: web.Request) -> str:
    resource = request.match_info.route.resource
    # Unmatched paths share one label: a scanner must not mint a time series per URL.
    return resource.canonical if resource is not None else "unmatched"


def _retry_after(eta: datetime | None, now: datetime) -> int:
    if eta is None:
        return 60
    return max(1, min(3600, int((eta - now).total_seconds())))


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    status = request.app[SERVICES].status
    route = _route(request)
    started = time.perf_counter()
    code = 500
    attributes = {}
    if tracing.active():
        attributes = {
            "http.request.method": request.method,
            "http.route": route,
            "mg.request_id": request.get("request_id"),
        }
    with span(f"{request.method} {route}", "server", **attributes) as current:
        try:
            if request.path not in OPEN_DURING_MAINTENANCE:
                state = await status.maintenance.current()
                if state is not None:
                    until = f" until about {format_time(state.eta)}" if state.eta else ""
                    raise MaintenanceError(
                        f"{state.message} The API is closed{until}.",
                        retry_after=_retry_after(state.eta, status.clock.now()),
                    )
            response = await handler(request)
            code = response.status
            model = response.headers.get("X-Monster-Model")
            if model:
                current.set_attribute("mg.model", model)
            return response
        except MonsterError as exc:
            code = exc.status
            current.set_attribute("mg.error_code", exc.code)
            raise
        except web.HTTPException as exc:
            code = exc.status
            raise
        finally:
            current.set_attribute("http.response.status_code", code)
            if code >= 500:
                failed(current, f"answered {code}")
            status.metrics.observe_request(request.method, route, code, time.perf_counter() - started)
