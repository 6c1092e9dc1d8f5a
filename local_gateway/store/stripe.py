"""Stripe's events and customers (``stripe_tables.py``): the one place their SQL lives."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from local_gateway.store.dialect import affected, insert_ignore
from local_gateway.store.stripe_tables import StripeCustomer, StripeEvent


async def claim_event(
    session: AsyncSession,
    event_id: str,
    event_type: str,
    developer_id: str | None,
    amount_micros: int,
    at: datetime,
) -> bool:
    """Record a Stripe event; False when it was recorded before (a redelivery: book nothing)."""
    stmt = insert_ignore(session, StripeEvent).values(
        id=event_id, type=event_type, developer_id=developer_id, amount_micros=amount_micros, received_at=at
    )
    return await affected(session, stmt) == 1


async def customer_of(session: AsyncSession, developer_id: str) -> str | None:
    stmt = select(col(StripeCustomer.customer_id)).where(col(StripeCustomer.developer_id) == developer_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def remember_customer(session: AsyncSession, developer_id: str, customer_id: str, at: datetime) -> None:
    """The developer's Stripe customer (the first one learnt stays)."""
    stmt = insert_ignore(session, StripeCustomer).values(
        developer_id=developer_id, customer_id=customer_id, created_at=at
    )
    await session.execute(stmt)
