"""The credit ledger: append-only entries in integer micro-dollars; the balance is their sum.

Reasons: ``welcome`` (the free credit of a new account), ``grant`` and ``purchase`` (credit
added), ``usage`` (a request's debit), ``expiration`` (what was left of a lapsed grant),
``correction`` / ``adjustment`` (an operator's entry, either sign).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, String, and_, cast, func, insert, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from local_gateway.store import bulk
from local_gateway.store.tables import CreditEntry

_INSERT = insert(CreditEntry)
_TABLE = CreditEntry.metadata.tables["credit_ledger"]
# Entries that add credit (and so may carry an expiry, and set the low-balance threshold).
CREDIT_REASONS = ("welcome", "grant", "purchase")


@dataclass(frozen=True)
class Grant:
    id: int
    amount_micros: int
    reason: str
    created_at: datetime
    expires_at: datetime | None


async def add_entry(
    session: AsyncSession,
    developer_id: str,
    amount_micros: int,
    reason: str,
    created_at: datetime,
    request_id: str | None = None,
    expires_at: datetime | None = None,
    note: str | None = None,
) -> int:
    """Append one entry; returns its id."""
    stmt = _INSERT.values(
        developer_id=developer_id,
        amount_micros=amount_micros,
        reason=reason,
        request_id=request_id,
        created_at=created_at,
        expires_at=expires_at,
        note=note,
    ).returning(col(CreditEntry.id))
    new_id = (await session.execute(stmt)).scalar_one()
    assert new_id is not None  # the primary key the insert returned
    return new_id


_DEBIT_COLUMNS = ("developer_id", "amount_micros", "request_id", "created_at", "reason")


def add_debits(conn: Connection, debits: Sequence[tuple[str, int, str, datetime]]) -> None:
    """``usage`` debits of a request-log batch, ``(developer_id, amount_micros < 0, request_id,
    created_at)`` each, on the batch's own connection and transaction (the driver's executemany)."""
    if debits:
        stmt = bulk.statement(conn, _TABLE, _DEBIT_COLUMNS)
        bulk.insert_many(conn, stmt, ((*debit, "usage") for debit in debits))


async def balance(session: AsyncSession, developer_id: str, at: datetime | None = None) -> int:
    """The developer's balance in micro-dollars: the sum of every entry (made by ``at``)."""
    stmt = select(func.coalesce(func.sum(CreditEntry.amount_micros), 0)).where(
        col(CreditEntry.developer_id) == developer_id
    )
    if at is not None:
        stmt = stmt.where(col(CreditEntry.created_at) <= at)
    # SUM over BIGINT is NUMERIC on PostgreSQL (a Decimal): an int here.
    return int((await session.execute(stmt)).scalar_one() or 0)


async def last_grant(session: AsyncSession, developer_id: str) -> Grant | None:
    stmt = (
        select(CreditEntry)
        .where(col(CreditEntry.developer_id) == developer_id, col(CreditEntry.reason).in_(CREDIT_REASONS))
        .where(col(CreditEntry.amount_micros) > 0)
        .order_by(col(CreditEntry.id).desc())
        .limit(1)
    )
    row = (await session.execute(stmt)).scalar_one_or_none()
    return _grant(row) if row is not None else None


def _grant(row: CreditEntry) -> Grant:
    assert row.id is not None
    return Grant(row.id, row.amount_micros, row.reason, row.created_at, row.expires_at)


async def expiring_grants(session: AsyncSession, developer_id: str) -> list[Grant]:
    """Grants with an expiry that has no ``expiration`` entry yet, soonest first."""
    expired = select(col(CreditEntry.request_id)).where(
        col(CreditEntry.developer_id) == developer_id, col(CreditEntry.reason) == "expiration"
    )
    stmt = (
        select(CreditEntry)
        .where(col(CreditEntry.developer_id) == developer_id, col(CreditEntry.expires_at).is_not(None))
        .where(col(CreditEntry.amount_micros) > 0)
        .where((literal("grant:") + cast(CreditEntry.id, String)).not_in(expired))
        .order_by(col(CreditEntry.expires_at), col(CreditEntry.id))
    )
    return [_grant(r) for r in (await session.execute(stmt)).scalars()]


async def outlasting_credit(session: AsyncSession, developer_id: str, grant: Grant, at: datetime) -> int:
    """Credit granted by ``at`` that lasts longer than ``grant`` (a later expiry, or none)."""
    assert grant.expires_at is not None
    stmt = select(func.coalesce(func.sum(CreditEntry.amount_micros), 0)).where(
        col(CreditEntry.developer_id) == developer_id,
        col(CreditEntry.amount_micros) > 0,
        col(CreditEntry.reason).in_(CREDIT_REASONS),
        col(CreditEntry.created_at) <= at,
        col(CreditEntry.id) != grant.id,
        or_(
            col(CreditEntry.expires_at).is_(None),
            col(CreditEntry.expires_at) > grant.expires_at,
            and_(col(CreditEntry.expires_at) == grant.expires_at, col(CreditEntry.id) > grant.id),
        ),
    )
    # SUM over BIGINT is NUMERIC on PostgreSQL (a Decimal): an int here.
    return int((await session.execute(stmt)).scalar_one() or 0)


async def add_expiration(session: AsyncSession, developer_id: str, grant: Grant, amount_micros: int) -> None:
    """Book what was left of ``grant`` as expired, once (a concurrent writer's twin is skipped)."""
    assert grant.expires_at is not None
    bind = session.get_bind()
    dialect = postgresql if bind.dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(CreditEntry)
        .values(
            developer_id=developer_id,
            amount_micros=-amount_micros,
            reason="expiration",
            request_id=f"grant:{grant.id}",
            created_at=grant.expires_at,
        )
        .on_conflict_do_nothing(index_elements=["request_id"], index_where=CreditEntry.reason == "expiration")
    )
    await session.execute(stmt)


async def entries_of(session: AsyncSession, developer_id: str, limit: int = 50) -> list[dict[str, Any]]:
    """The newest entries other than usage debits (grants, purchases, corrections, expirations)."""
    stmt = (
        select(CreditEntry)
        .where(col(CreditEntry.developer_id) == developer_id, col(CreditEntry.reason) != "usage")
        .order_by(col(CreditEntry.id).desc())
        .limit(limit)
    )
    return [
        {
            "id": r.id,
            "amount_micros": r.amount_micros,
            "reason": r.reason,
            "created_at": r.created_at,
            "expires_at": r.expires_at,
            "note": r.note,
        }
        for r in (await session.execute(stmt)).scalars()
    ]
