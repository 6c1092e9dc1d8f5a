"""``GET /metrics``: Prometheus text format. Closed unless the operator opens it: with
``MG_METRICS_PUBLIC=1`` anyone may scrape; with ``MG_METRICS_TOKEN`` a scraper sends it as a
bearer token (Prometheus' ``authorization`` setting)."""

from __future__ import annotations

import hmac

from aiohttp import web

from local_gateway.api.appkeys import SERVICES
from local_gateway.services.status.metrics import CONTENT_TYPE
from mg.errors import AuthenticationError

routes = web.RouteTableDef()


def _allowed(request: web.Request) -> bool:
    settings = request.app[SERVICES].settings
    if (settings.env("MG_METRICS_PUBLIC") or "") in ("1", "true", "yes"):
        return True
    token = settings.env("MG_METRICS_TOKEN")
    given = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    if not _allowed(request):
        raise AuthenticationError(
            "GET /metrics needs the metrics token.",
            remediation=(
                "Send 'Authorization: Bearer <MG_METRICS_TOKEN>', or start the gateway with "
                "MG_METRICS_PUBLIC=1 to let anyone scrape it."
            ),
        )
    body = await request.app[SERVICES].status.render_metrics()
    response = web.Response(body=body, headers={"Cache-Control": "no-store"})
    response.headers["Content-Type"] = CONTENT_TYPE
    return response
