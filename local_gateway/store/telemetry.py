"""Telemetry events reported by SDK extensions and tools, and their per-account summary."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from local_gateway.store.billing_tables import TelemetryEvent


async def add(session: AsyncSession, **fields: Any) -> None:
    session.add(TelemetryEvent(**fields))
    await session.flush()


async def counts(
    session: AsyncSession, developer_id: str, since: datetime
) -> list[tuple[str, str, int, datetime]]:
    """``(event, source, count, last seen)`` of the developer's events since ``since``."""
    stmt = (
        select(
            col(TelemetryEvent.event),
            col(TelemetryEvent.source),
            func.count(),
            func.max(TelemetryEvent.created_at),
        )
        .where(col(TelemetryEvent.developer_id) == developer_id, col(TelemetryEvent.created_at) >= since)
        .group_by(TelemetryEvent.event, TelemetryEvent.source)
        .order_by(TelemetryEvent.event, TelemetryEvent.source)
    )
    return [(e, s, int(n), last) for e, s, n, last in (await session.execute(stmt)).all()]
