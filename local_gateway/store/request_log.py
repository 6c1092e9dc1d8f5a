"""Request-log rows, their ledger debits and their events, inserted as one batch.

Plain Core inserts on a synchronous connection (see ``Database.write_sync``): the batch is the hot
write path, and the ORM's bulk machinery would only add per-row work.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from local_gateway.store import events as event_store
from local_gateway.store import ledger
from local_gateway.store.tables import RequestLog

_LOG_FIELDS = (
    "request_id", "developer_id", "key_id", "endpoint", "model", "provider", "prompt_tokens",
    "completion_tokens", "cost_micros", "latency_ms", "status", "error_code", "stream", "extra", "created_at",
)  # fmt: skip


_LOG = RequestLog.metadata.tables["request_log"].insert()


def insert_batch(conn: Connection, entries: Sequence[Any]) -> None:
    """Rows of ``entries`` (``LogEntry``), a ``usage`` debit of ``charge_micros`` for each that has
    one, and their ``events``, in the caller's transaction."""
    rows = [{name: getattr(e, name) for name in _LOG_FIELDS} for e in entries]
    if rows:
        conn.execute(_LOG, rows)
    ledger.add_debits(
        conn,
        [
            {
                "developer_id": e.developer_id,
                "amount_micros": -e.charge_micros,
                "reason": "usage",
                "request_id": e.request_id,
                "created_at": e.created_at,
            }
            for e in entries
            if e.charge_micros
        ],
    )
    for e in entries:
        event_store.append_sync(conn, e.developer_id, e.events)
