"""Tables of the Stripe integration (migration 0014_stripe).

- ``stripe_events``: every Stripe event the webhook booked, by Stripe's event id, and beside it
  the checkout session it paid for (``cs_…``, type ``checkout.session``): the same event
  delivered twice (Stripe retries), or a second event for the same session, finds its row and
  books nothing;
- ``stripe_customers``: the Stripe customer of a developer, learnt from a completed checkout, so
  ``/v1/billing/manage`` can open that customer's billing portal.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel


class StripeEvent(SQLModel, table=True):
    __tablename__ = "stripe_events"

    id: str = Field(primary_key=True, max_length=255)
    type: str = Field(max_length=100)
    developer_id: str | None = Field(default=None, foreign_key="developers.id", max_length=40)
    amount_micros: int = Field(default=0, sa_type=BigInteger)
    received_at: datetime


class StripeCustomer(SQLModel, table=True):
    __tablename__ = "stripe_customers"

    developer_id: str = Field(primary_key=True, foreign_key="developers.id", max_length=40)
    customer_id: str = Field(max_length=255, unique=True)
    created_at: datetime
