"""POST /v1/telemetry/event and GET /v1/telemetry/summary."""

from __future__ import annotations

from aiohttp import web

from local_gateway.api.appkeys import SERVICES
from local_gateway.api.auth import authenticate
from local_gateway.api.body import json_response, read_json
from mg.errors import InvalidRequestError

routes = web.RouteTableDef()


@routes.post("/v1/telemetry/event")
async def event(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    body = await read_json(request, 16 * 1024)
    if not isinstance(body, dict):
        raise InvalidRequestError("The body must be a JSON object with 'event' and 'source'.")
    result = await services.telemetry.record(principal.developer_id, principal.key.id, body)
    return json_response(result, status=201)


@routes.get("/v1/telemetry/summary")
async def summary(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request, consume=False)
    raw = request.query.get("days") or "30"
    if not raw.isdigit():
        raise InvalidRequestError("'days' must be a whole number.")
    return json_response(await services.telemetry.summary(principal.developer_id, int(raw)))
