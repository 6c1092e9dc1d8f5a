"""Request-log rows, their credit charges and events, inserted as one batch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from local_gateway.store.tables import CreditEntry, Event, RequestLog

_LOG_FIELDS = (
    "request_id", "developer_id", "key_id", "endpoint", "model", "provider", "prompt_tokens",
    "completion_tokens", "cost_usd", "latency_ms", "status", "error_code", "stream", "extra", "created_at",
)  # fmt: skip


async def insert_batch(session: AsyncSession, entries: Sequence[Any]) -> None:
    rows = [{name: getattr(e, name) for name in _LOG_FIELDS} for e in entries]
    if rows:
        await session.execute(insert(RequestLog), rows)
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
        await session.execute(insert(CreditEntry), charges)
    events = [dict(ev, developer_id=e.developer_id) for e in entries for ev in e.events]
    if events:
        await session.execute(insert(Event), events)
