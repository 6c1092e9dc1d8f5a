"""Request-log rows, their ledger debits, daily aggregates and events, inserted as one batch;
the per-request audit log read back a page at a time; retention pruning.

The batch runs on a synchronous connection (see ``Database.write_sync``) and is the hot write
path: its rows go through the driver's ``executemany`` with one prepared statement
(``store/bulk.py``), not through SQLAlchemy's statement compilation and parameter processing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from local_gateway.store import bulk, ledger, usage
from local_gateway.store import events as event_store
from local_gateway.store.tables import RequestLog

_LOG_FIELDS = (
    "request_id", "developer_id", "key_id", "endpoint", "model", "provider", "prompt_tokens",
    "completion_tokens", "cost_micros", "latency_ms", "status", "error_code", "stream", "extra", "created_at",
)  # fmt: skip
_TABLE = RequestLog.metadata.tables["request_log"]


def insert_batch(conn: Connection, entries: Sequence[Any]) -> None:
    """Rows of ``entries`` (``LogEntry``), a ``usage`` debit of ``charge_micros`` for each that has
    one, their days' aggregates and their ``events``, in the caller's transaction."""
    stmt = bulk.statement(conn, _TABLE, _LOG_FIELDS)
    bulk.insert_many(conn, stmt, ([getattr(e, name) for name in _LOG_FIELDS] for e in entries))
    ledger.add_debits(
        conn,
        [(e.developer_id, -e.charge_micros, e.request_id, e.created_at) for e in entries if e.charge_micros],
    )
    usage.add_sync(conn, entries)
    for e in entries:
        if e.events:
            event_store.append_sync(conn, e.developer_id, e.events)


@dataclass(frozen=True)
class LogRow:
    id: int
    request_id: str
    key_id: str
    endpoint: str
    model: str | None
    provider: str | None
    prompt_tokens: int
    completion_tokens: int
    cost_micros: int
    latency_ms: float
    status: int
    error_code: str | None
    stream: bool
    extra: dict[str, Any] | None
    created_at: datetime


def _row(r: RequestLog) -> LogRow:
    assert r.id is not None
    return LogRow(
        r.id, r.request_id, r.key_id, r.endpoint, r.model, r.provider, r.prompt_tokens,
        r.completion_tokens, r.cost_micros, r.latency_ms, r.status, r.error_code, r.stream,
        r.extra, r.created_at,
    )  # fmt: skip


async def page(
    session: AsyncSession,
    developer_id: str,
    *,
    limit: int,
    before: int | None = None,
    model: str | None = None,
    status: int | None = None,
    failed: bool | None = None,
) -> list[LogRow]:
    """The developer's rows newest first (by id: stable), ``limit`` of them, older than ``before``."""
    stmt = select(RequestLog).where(col(RequestLog.developer_id) == developer_id)
    if before is not None:
        stmt = stmt.where(col(RequestLog.id) < before)
    if model is not None:
        stmt = stmt.where(col(RequestLog.model) == model)
    if status is not None:
        stmt = stmt.where(col(RequestLog.status) == status)
    if failed is not None:
        stmt = stmt.where(col(RequestLog.status) >= 400 if failed else col(RequestLog.status) < 400)
    stmt = stmt.order_by(col(RequestLog.id).desc()).limit(limit)
    return [_row(r) for r in (await session.execute(stmt)).scalars()]


async def get(session: AsyncSession, developer_id: str, row_id: int) -> LogRow | None:
    stmt = select(RequestLog).where(
        col(RequestLog.developer_id) == developer_id, col(RequestLog.id) == row_id
    )
    found = (await session.execute(stmt)).scalar_one_or_none()
    return _row(found) if found is not None else None


async def prune(session: AsyncSession, older_than: datetime, limit: int) -> int:
    """Delete up to ``limit`` rows made before ``older_than`` (oldest first); how many went."""
    ids = (
        select(col(RequestLog.id))
        .where(col(RequestLog.created_at) < older_than)
        .order_by(col(RequestLog.id))
        .limit(limit)
    )
    result = await session.execute(delete(RequestLog).where(col(RequestLog.id).in_(ids.scalar_subquery())))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
