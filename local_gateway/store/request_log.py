"""Request-log rows, their credit charges and events, inserted as one batch.

Plain Core inserts on a synchronous connection (see ``Database.write_sync``): the batch is the hot
write path, and the ORM's bulk machinery would only add per-row work.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from local_gateway.store.tables import CreditEntry, Event, RequestLog

_LOG_FIELDS = (
    "request_id", "developer_id", "key_id", "endpoint", "model", "provider", "prompt_tokens",
    "completion_tokens", "cost_usd", "latency_ms", "status", "error_code", "stream", "extra", "created_at",
)  # fmt: skip


_LOG = RequestLog.__table__.insert()  # type: ignore[attr-defined]
_CREDIT = CreditEntry.__table__.insert()  # type: ignore[attr-defined]
_EVENT = Event.__table__.insert()  # type: ignore[attr-defined]


def insert_batch(conn: Connection, entries: Sequence[Any]) -> None:
    rows = [{name: getattr(e, name) for name in _LOG_FIELDS} for e in entries]
    if rows:
        conn.execute(_LOG, rows)
    charges = [
        {
            "developer_id": e.developer_id,
            "amount_usd": -e.charge_usd,
            "reason": "usage",
            "request_id": e.request_id,
            "created_at": e.created_at,
        }
        for e in entries
        if e.charge_usd
    ]
    if charges:
        conn.execute(_CREDIT, charges)
    events = [dict(ev, developer_id=e.developer_id) for e in entries for ev in e.events]
    if events:
        conn.execute(_EVENT, events)
