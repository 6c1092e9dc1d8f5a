"""``GET /v1/status``, shaped like Atlassian Statuspage's ``/api/v2/summary.json`` (a superset of
``status.json``) so that monitors which already parse Statuspage parse it too.

Components are the configured providers (from their circuit breakers) and the gateway's own
subsystems (from the health checks). The page indicator is the worst component: ``critical`` when
the database is out, ``major`` for any outage or maintenance, ``minor`` for degraded performance.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from local_gateway.services.status.incidents import Incident
from local_gateway.services.status.maintenance import MaintenanceState
from mg.times import format_time

OPERATIONAL, DEGRADED, PARTIAL, MAJOR = (
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
)
UNDER_MAINTENANCE = "under_maintenance"
DESCRIPTIONS = {
    "none": "All Systems Operational",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major Service Outage",
}
PAGE_ID = "mg-gateway"


def iso(epoch: float | None) -> str | None:
    return format_time(datetime.fromtimestamp(epoch, UTC)) if epoch is not None else None


def provider_status(breaker: dict[str, Any]) -> str:
    if breaker["state"] == "open":
        return MAJOR
    if breaker["state"] == "half_open":
        return PARTIAL
    return DEGRADED if breaker["consecutive_failures"] else OPERATIONAL


def subsystem_status(check: dict[str, Any], essential: bool) -> str:
    if check["status"] == "ok":
        return OPERATIONAL
    return MAJOR if essential else PARTIAL


def component(cid: str, name: str, status: str, position: int, description: str, now: str) -> dict[str, Any]:
    return {
        "id": cid, "name": name, "status": status, "created_at": now, "updated_at": now,
        "position": position, "description": description, "showcase": True, "start_date": None,
        "group_id": None, "page_id": PAGE_ID, "group": False, "only_show_if_degraded": False,
    }  # fmt: skip


def indicator(components: list[dict[str, Any]], maintenance: MaintenanceState | None) -> str:
    states = {c["id"]: c["status"] for c in components}
    if states.get("database") == MAJOR:
        return "critical"
    if maintenance is not None or MAJOR in states.values() or PARTIAL in states.values():
        return "major"
    return "minor" if DEGRADED in states.values() else "none"


def incident_view(incident: Incident, components: list[dict[str, Any]]) -> dict[str, Any]:
    started, resolved = iso(incident.started_at), iso(incident.resolved_at)
    status = "resolved" if incident.resolved else "investigating"
    body = f"Circuit breaker for {incident.provider} opened" + (
        f": {incident.last_error}" if incident.last_error else "."
    )
    updates = [{"id": f"{incident.id}_1", "status": "investigating", "body": body, "created_at": started}]
    if resolved:
        updates.insert(
            0,
            {
                "id": f"{incident.id}_2",
                "status": "resolved",
                "body": "Requests succeed again.",
                "created_at": resolved,
            },
        )
    return {
        "id": incident.id, "name": f"{incident.provider} unavailable", "status": status,
        "impact": "major", "created_at": started, "updated_at": resolved or started,
        "monitoring_at": None, "resolved_at": resolved, "started_at": started, "page_id": PAGE_ID,
        "shortlink": None, "incident_updates": updates,
        "components": [c for c in components if c["id"] == f"provider:{incident.provider}"],
    }  # fmt: skip


def maintenance_view(state: MaintenanceState) -> dict[str, Any]:
    started = format_time(state.started_at)
    return {
        "id": "maintenance", "name": state.message, "status": "in_progress", "impact": "maintenance",
        "created_at": started, "updated_at": started, "started_at": started, "page_id": PAGE_ID,
        "scheduled_for": started, "scheduled_until": format_time(state.eta) if state.eta else None,
        "incident_updates": [], "components": [],
    }  # fmt: skip
