"""Daily usage aggregates (``usage_daily``): written with each request-log batch, read by caps
and ``/v1/usage``. They outlive the request log's pruned rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from local_gateway.store import bulk
from local_gateway.store.billing_tables import UsageDaily

_SUMS = ("requests", "errors", "prompt_tokens", "completion_tokens", "cost_micros")
_TABLE = UsageDaily.metadata.tables["usage_daily"]
_COLUMNS = ("developer_id", "day", "model", *_SUMS)
# The same spelling on SQLite (3.24+) and PostgreSQL: a day's row adds the batch's sums.
_UPSERT = " ON CONFLICT (developer_id, day, model) DO UPDATE SET " + ", ".join(
    f"{name} = usage_daily.{name} + excluded.{name}" for name in _SUMS
)


def add_sync(conn: Connection, entries: Sequence[Any]) -> None:
    """Fold request-log ``entries`` into their day's rows, in the batch's transaction."""
    totals: dict[tuple[str, date, str], list[int]] = {}
    for e in entries:
        key = (e.developer_id, e.created_at.date(), e.model or "")
        t = totals.setdefault(key, [0, 0, 0, 0, 0])
        t[0] += 1
        t[1] += 1 if e.status >= 400 else 0
        t[2] += e.prompt_tokens
        t[3] += e.completion_tokens
        t[4] += e.cost_micros
    if not totals:
        return
    stmt = bulk.statement(conn, _TABLE, _COLUMNS, _UPSERT)
    # Sorted: two batches that touch the same rows lock them in one order (no deadlock).
    bulk.insert_many(conn, stmt, ((*key, *sums) for key, sums in sorted(totals.items())))


async def spent_since(session: AsyncSession, developer_id: str, since: date) -> int:
    """Micro-dollars charged from day ``since`` on."""
    stmt = select(func.coalesce(func.sum(UsageDaily.cost_micros), 0)).where(
        col(UsageDaily.developer_id) == developer_id, col(UsageDaily.day) >= since
    )
    return int((await session.execute(stmt)).scalar_one())


async def daily_rows(session: AsyncSession, developer_id: str, since: date) -> list[dict[str, Any]]:
    """Every (day, model) row from ``since`` on, oldest first."""
    stmt = (
        select(UsageDaily)
        .where(col(UsageDaily.developer_id) == developer_id, col(UsageDaily.day) >= since)
        .order_by(col(UsageDaily.day), col(UsageDaily.model))
    )
    return [
        {"day": r.day, "model": r.model, **{name: getattr(r, name) for name in _SUMS}}
        for r in (await session.execute(stmt)).scalars()
    ]
