"""The credit ledger: append-only entries in integer micro-dollars; the balance is their sum."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from local_gateway.store.tables import CreditEntry

_INSERT = insert(CreditEntry)


async def add_entry(
    session: AsyncSession,
    developer_id: str,
    amount_micros: int,
    reason: str,
    created_at: datetime,
    request_id: str | None = None,
) -> None:
    await session.execute(
        _INSERT,
        [
            {
                "developer_id": developer_id,
                "amount_micros": amount_micros,
                "reason": reason,
                "request_id": request_id,
                "created_at": created_at,
            }
        ],
    )


def add_debits(conn: Connection, debits: Sequence[dict[str, Any]]) -> None:
    """Usage debits of a request-log batch (``developer_id``, ``amount_micros`` < 0, ``reason``,
    ``request_id``, ``created_at``), on the batch's own connection and transaction."""
    if debits:
        conn.execute(_INSERT, list(debits))


async def balance(session: AsyncSession, developer_id: str) -> int:
    """The developer's balance in micro-dollars: the sum of every entry."""
    stmt = select(func.coalesce(func.sum(col(CreditEntry.amount_micros)), 0)).where(
        col(CreditEntry.developer_id) == developer_id
    )
    return int((await session.execute(stmt)).scalar_one())
