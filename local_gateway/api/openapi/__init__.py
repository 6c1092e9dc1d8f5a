"""GET /openapi.json: the OpenAPI 3.1 description of every route this gateway serves."""

from __future__ import annotations

from aiohttp import web

from local_gateway.api.appkeys import SERVICES
from local_gateway.api.body import json_response
from local_gateway.api.openapi.document import build_document

routes = web.RouteTableDef()
_DOCUMENT = web.AppKey("openapi_document", dict)


@routes.get("/openapi.json")
async def openapi_json(request: web.Request) -> web.Response:
    app = request.app
    document = app.get(_DOCUMENT)
    if document is None:
        version = str(app[SERVICES].status.version()["gateway"])
        document = build_document(app, version)
        app[_DOCUMENT] = document
    return json_response(document)
