"""POST /v1/structured: a chat completion whose answer always validates against a JSON Schema."""

from __future__ import annotations

from aiohttp import web

from local_gateway.api.appkeys import SERVICES
from local_gateway.api.auth import authenticated
from local_gateway.api.body import json_response, read_json
from local_gateway.api.middleware import RESPONSE_HEADERS
from local_gateway.services.inference.params import parse_chat
from mg.errors import InvalidRequestError

routes = web.RouteTableDef()


@routes.post("/v1/structured")
async def structured(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    ctx = await authenticated(request)
    params = parse_chat(await read_json(request, services.settings.completion_body_limit))
    if (params.response_format or {}).get("type") != "json_schema":
        raise InvalidRequestError(
            '\'response_format\' must be {"type": "json_schema", "json_schema": {"name", "schema"}} '
            "on /v1/structured."
        )
    # The answer is validated whole before it is sent, so it is never streamed here.
    params.stream = False
    params.extensions["structured"] = True
    outcome = await services.chat.create(ctx, params)
    headers = dict(request.get(RESPONSE_HEADERS) or {}, **outcome.headers)
    return json_response(outcome.completion, headers=headers)
