"""The spec's System Status, Changelog and Version routes, all public: /v1/status, /v1/health,
/v1/slo, /v1/changelog, /v1/version."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from local_gateway.api.appkeys import SERVICES
from local_gateway.api.body import json_response
from local_gateway.services.status import changelog
from local_gateway.services.status.slo import WINDOWS
from mg.errors import InvalidRequestError

routes = web.RouteTableDef()
NO_STORE = {"Cache-Control": "no-store"}
# What monitors read keeps off the summary the extras the HTML page also uses.
_PAGE_ONLY = ("breakers", "model_counts", "health", "recent_incidents")


def page_url(request: web.Request) -> str:
    return f"{request.url.origin()}/status"


@routes.get("/v1/status")
async def status(request: web.Request) -> web.Response:
    body: dict[str, Any] = await request.app[SERVICES].status.summary(page_url(request))
    for key in _PAGE_ONLY:
        body.pop(key)
    return json_response(body, headers=NO_STORE)


@routes.get("/v1/health")
async def health(request: web.Request) -> web.Response:
    body = await request.app[SERVICES].status.check()
    return json_response(body, status=503 if body["status"] == "unhealthy" else 200, headers=NO_STORE)


@routes.get("/v1/slo")
async def slo(request: web.Request) -> web.Response:
    window = request.query.get("window", "24h")
    if window not in WINDOWS:
        raise InvalidRequestError(
            f"Unknown window {window!r}.", remediation=f"Use one of: {', '.join(WINDOWS)}."
        )
    return json_response(await request.app[SERVICES].status.slo(window), headers=NO_STORE)


@routes.get("/v1/changelog")
async def changelog_list(request: web.Request) -> web.Response:
    data = changelog.load()
    return json_response(
        {"object": "list", "api_version": data["api_version"], "data": data["releases"]},
        headers={"Cache-Control": "public, max-age=300"},
    )


@routes.get("/v1/version")
async def version(request: web.Request) -> web.Response:
    return json_response(request.app[SERVICES].status.version())
