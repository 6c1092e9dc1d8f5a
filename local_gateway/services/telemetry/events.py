"""``POST /v1/telemetry/event`` and ``GET /v1/telemetry/summary``: events validated against the
spec's lists, stored per developer, summarised by event and source."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from local_gateway.services.core.clock import Clock
from local_gateway.services.core.ids import new_id
from local_gateway.store import telemetry as telemetry_store
from local_gateway.store.db import Database
from mg.errors import InvalidRequestError
from mg.times import format_time

# The spec's lists ("and more" for events: the ones its tools send).
EVENTS = (
    "generate_started", "generate_completed", "generate_failed", "error_fix_started",
    "error_fix_applied", "session_start", "session_end", "first_call", "upgrade_shown",
    "upgrade_clicked", "command_run", "model_switched", "npc_created", "symbols_uploaded",
    "crash_analyzed", "feedback_given",
)  # fmt: skip
SOURCES = ("vscode_extension", "web_portal", "cli", "api")
MAX_PROPERTIES_BYTES = 4096


class TelemetryService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def record(self, developer_id: str, key_id: str, body: dict[str, Any]) -> dict[str, Any]:
        event, source = body.get("event"), body.get("source")
        if event not in EVENTS:
            raise InvalidRequestError(
                f"Unknown telemetry event {event!r}.", remediation=f"Use one of: {', '.join(EVENTS)}."
            )
        if source not in SOURCES:
            raise InvalidRequestError(
                f"Unknown telemetry source {source!r}.", remediation=f"Use one of: {', '.join(SOURCES)}."
            )
        properties = body.get("properties")
        if properties is not None and not isinstance(properties, dict):
            raise InvalidRequestError("'properties' must be an object.")
        if properties is not None and len(repr(properties)) > MAX_PROPERTIES_BYTES:
            raise InvalidRequestError(f"'properties' takes at most {MAX_PROPERTIES_BYTES} bytes.")
        now = self.clock.now()
        event_id = new_id("tel")
        async with self.db.write() as session:
            await telemetry_store.add(
                session, id=event_id, developer_id=developer_id, key_id=key_id, event=event,
                source=source, properties=properties, created_at=now,
            )  # fmt: skip
        return {"id": event_id, "object": "telemetry_event", "event": event, "source": source,
                "created_at": format_time(now)}  # fmt: skip

    async def summary(self, developer_id: str, days: int = 30) -> dict[str, Any]:
        if not 1 <= days <= 90:
            raise InvalidRequestError("days must be between 1 and 90.")
        since = self.clock.now() - timedelta(days=days)
        async with self.db.read() as session:
            rows = await telemetry_store.counts(session, developer_id, since)
        by_event: dict[str, int] = {}
        by_source: dict[str, int] = {}
        for event, source, count, _ in rows:
            by_event[event] = by_event.get(event, 0) + count
            by_source[source] = by_source.get(source, 0) + count
        return {
            "object": "telemetry_summary",
            "days": days,
            "total": sum(by_event.values()),
            "by_event": dict(sorted(by_event.items())),
            "by_source": dict(sorted(by_source.items())),
            "events": [
                {
                    "event": e,
                    "source": s,
                    "count": n,
                    "last_seen": _time(last),
                }
                for e, s, n, last in rows
            ],
        }


def _time(value: object) -> str | None:
    # SQLite hands an aggregate of a datetime column back as text; PostgreSQL as a datetime.
    if isinstance(value, datetime):
        return format_time(value if value.tzinfo else value.replace(tzinfo=UTC))
    return str(value).replace(" ", "T") + "Z" if value is not None else None
