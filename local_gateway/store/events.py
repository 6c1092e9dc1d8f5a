"""The outbox: events a webhook will announce, written in the transaction of the change."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from local_gateway.store.tables import Event


async def insert_events(session: AsyncSession, developer_id: str, events: Sequence[dict[str, Any]]) -> None:
    if events:
        await session.execute(insert(Event), [dict(e, developer_id=developer_id) for e in events])


async def events_of(
    session: AsyncSession, developer_id: str, types: Sequence[str] | None = None, limit: int = 1000
) -> list[dict[str, Any]]:
    stmt = select(Event).where(Event.developer_id == developer_id)
    if types:
        stmt = stmt.where(Event.type.in_(list(types)))
    stmt = stmt.order_by(Event.created_at, Event.id).limit(limit)
    return [
        {"id": e.id, "type": e.type, "data": e.data, "created_at": e.created_at}
        for e in (await session.execute(stmt)).scalars()
    ]
