"""``GET /status``: the status page, server-rendered HTML that refreshes itself every 30 s.

No script and no build step: a monitor wall, a phone or ``curl`` read the same page.
"""

from __future__ import annotations

from html import escape
from typing import Any

from aiohttp import web

from local_gateway.api.appkeys import SERVICES
from local_gateway.api.status import page_url
from local_gateway.services.status.summary import iso

routes = web.RouteTableDef()
REFRESH_SECONDS = 30
LABELS = {
    "operational": "Operational",
    "degraded_performance": "Degraded performance",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
    "under_maintenance": "Under maintenance",
}
_CSS = """
body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;color:#1b1f24}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
.banner{padding:.8rem 1rem;border-radius:6px;font-weight:600;color:#fff}
.none{background:#1a7f37}.minor{background:#bf8700}.major{background:#d1242f}.critical{background:#82071e}
.maint{background:#0969da;color:#fff;padding:.8rem 1rem;border-radius:6px;margin-top:.8rem}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #d0d7de}
.operational{color:#1a7f37}.degraded_performance{color:#9a6700}.partial_outage,.major_outage{color:#d1242f}
.under_maintenance{color:#0969da}footer{margin-top:2rem;color:#57606a;font-size:.85rem}
"""


def _cell(value: Any) -> str:
    return f"<td>{escape('—' if value is None else str(value))}</td>"


def _status_cell(status: str) -> str:
    return f'<td class="{escape(status)}">{escape(LABELS.get(status, status))}</td>'


def render(data: dict[str, Any]) -> str:
    status = data["status"]
    level = escape(status["indicator"])
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(status['description'])} · mg gateway status</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>mg gateway status</h1>",
        f'<p class="banner {level}" id="indicator" data-indicator="{level}">',
        f"{escape(status['description'])}</p>",
    ]
    for window in data["scheduled_maintenances"]:
        eta = window["scheduled_until"]
        parts.append(
            f'<p class="maint" id="maintenance">{escape(window["name"])} '
            f"Started {escape(window['started_at'])}; "
            + (f"expected back by <time>{escape(eta)}</time>." if eta else "no end time announced yet.")
            + "</p>"
        )
    parts += [
        "<h2>Components</h2>",
        '<table id="components"><tr><th>Component</th><th>Status</th><th>Detail</th></tr>',
    ]
    for c in data["components"]:
        parts.append(f"<tr>{_cell(c['name'])}{_status_cell(c['status'])}{_cell(c['description'])}</tr>")
    parts += [
        "</table>",
        "<h2>Providers</h2>",
        '<table id="providers"><tr><th>Provider</th><th>Circuit breaker</th><th>Consecutive failures</th>'
        "<th>Retry at</th><th>Models (configured)</th><th>Last error</th></tr>",
    ]
    counts = data["model_counts"]
    for name, breaker in data["breakers"].items():
        n = counts.get(name, {"models": 0, "configured": 0})
        failures = f"{breaker['consecutive_failures']} of {breaker['failure_threshold']}"
        models = f"{n['models']} ({n['configured']})"
        parts.append(
            f"<tr>{_cell(name)}{_cell(breaker['state'])}{_cell(failures)}"
            f"{_cell(iso(breaker['retry_at']))}{_cell(models)}{_cell(breaker['last_error'])}</tr>"
        )
    total = sum(n["models"] for n in counts.values())
    configured = sum(n["configured"] for n in counts.values())
    parts += [
        "</table>",
        f'<p id="model-counts">{total} models in the catalog from {len(counts)} providers; '
        f"{configured} configured on this gateway. Test keys use the offline sandbox.</p>",
        "<h2>Recent incidents</h2>",
    ]
    incidents = data["recent_incidents"]
    if not incidents:
        parts.append('<p id="incidents">No incidents recorded since this gateway started.</p>')
    else:
        parts.append(
            '<table id="incidents"><tr><th>Incident</th><th>Status</th><th>Started</th>'
            "<th>Resolved</th><th>Detail</th></tr>"
        )
        for i in incidents:
            body = i["incident_updates"][-1]["body"]
            parts.append(
                f"<tr>{_cell(i['name'])}{_cell(i['status'])}{_cell(i['started_at'])}{_cell(i['resolved_at'])}{_cell(body)}</tr>"
            )
        parts.append("</table>")
    health = data["health"]
    parts += [
        f"<footer>Gateway {escape(health['version'])}, API {escape(health['api_version'])}, up "
        f"{int(health['uptime_seconds'])} s. Updated {escape(data['page']['updated_at'])}; this page reloads "
        f'every {REFRESH_SECONDS} s. JSON: <a href="/v1/status">/v1/status</a>, '
        '<a href="/v1/health">/v1/health</a>, <a href="/v1/slo">/v1/slo</a>.</footer>',
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


@routes.get("/status")
async def status_page(request: web.Request) -> web.Response:
    data = await request.app[SERVICES].status.summary(page_url(request))
    return web.Response(
        text=render(data), content_type="text/html", charset="utf-8", headers={"Cache-Control": "no-store"}
    )
