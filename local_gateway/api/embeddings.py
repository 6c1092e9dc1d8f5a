"""POST /v1/embeddings."""

from __future__ import annotations

from aiohttp import web

from local_gateway.api.appkeys import SERVICES
from local_gateway.api.auth import authenticated
from local_gateway.api.body import json_response, read_json
from local_gateway.services.inference.embeddings import parse_embeddings

routes = web.RouteTableDef()


@routes.post("/v1/embeddings")
async def embeddings(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    ctx = await authenticated(request)
    params = parse_embeddings(await read_json(request, services.settings.embedding_body_limit))
    outcome = await services.embeddings.create(ctx, params)
    return json_response(outcome.body, headers=outcome.headers)
