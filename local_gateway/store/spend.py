"""A developer's own spend limits, and the credit alerts already sent (one per grant)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from local_gateway.store.billing_tables import CreditAlert, SpendLimit


async def get_limits(session: AsyncSession, developer_id: str) -> tuple[int | None, int | None]:
    """``(daily_cap_micros, monthly_cap_micros)``; None where there is no cap."""
    row = await session.get(SpendLimit, developer_id)
    return (row.daily_cap_micros, row.monthly_cap_micros) if row is not None else (None, None)


async def set_limits(
    session: AsyncSession, developer_id: str, daily: int | None, monthly: int | None, now: datetime
) -> None:
    row = await session.get(SpendLimit, developer_id)
    if row is None:
        session.add(SpendLimit(developer_id=developer_id, daily_cap_micros=daily,
                               monthly_cap_micros=monthly, updated_at=now))  # fmt: skip
    else:
        row.daily_cap_micros, row.monthly_cap_micros, row.updated_at = daily, monthly, now
    await session.flush()


async def claim_alert(session: AsyncSession, developer_id: str, grant_id: int, now: datetime) -> bool:
    """Record that the low-credit alert of ``grant_id`` is sent; False when it already was."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(CreditAlert)
        .values(developer_id=developer_id, grant_id=grant_id, created_at=now)
        .on_conflict_do_nothing(index_elements=["developer_id", "grant_id"])
        .returning(CreditAlert.grant_id)
    )
    return (await session.execute(stmt)).first() is not None


async def alerted(session: AsyncSession, developer_id: str, grant_id: int) -> bool:
    stmt = select(col(CreditAlert.grant_id)).where(
        col(CreditAlert.developer_id) == developer_id, col(CreditAlert.grant_id) == grant_id
    )
    return (await session.execute(stmt)).first() is not None
