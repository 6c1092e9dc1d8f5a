"""Tables of webhook endpoints, their deliveries and every attempt; migration ``0012_webhooks``.

A delivery is one event owed to one endpoint. Deliveries of a thread's events to an endpoint
form a *lane* (``lane`` = the thread id) and go out in ``seq`` order; a manual redelivery and an
event without a thread have no lane and wait for nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, Text
from sqlmodel import Field, SQLModel


class WebhookEndpoint(SQLModel, table=True):
    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_dev", "developer_id", "created_at"),)

    id: str = Field(primary_key=True, max_length=40)
    developer_id: str = Field(foreign_key="developers.id", max_length=40)
    url: str = Field(sa_column=Column(Text, nullable=False))
    events: list[str] = Field(sa_column=Column(JSON, nullable=False))
    description: str = Field(default="", max_length=500)
    # The environment of the key that registered it: live endpoints get the SSRF rules.
    environment: str = Field(max_length=10)
    # Kept in the clear: signing needs the secret itself (as Stripe, Svix and GitHub do).
    secret: str = Field(max_length=100)
    previous_secret: str | None = Field(default=None, max_length=100)
    previous_secret_expires_at: datetime | None = None
    status: str = Field(max_length=10)  # enabled | disabled
    disabled_reason: str | None = Field(default=None, sa_column=Column(Text))
    disabled_at: datetime | None = None
    # First failed attempt since the last success: five days of it disable the endpoint.
    failing_since: datetime | None = None
    created_at: datetime
    updated_at: datetime


class WebhookDelivery(SQLModel, table=True):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_dev", "developer_id", "created_at"),
        Index("ix_webhook_deliveries_lane", "webhook_id", "lane", "status", "seq"),
    )

    id: str = Field(primary_key=True, max_length=40)
    developer_id: str = Field(foreign_key="developers.id", max_length=40)
    webhook_id: str = Field(max_length=40)
    event_id: str = Field(max_length=40)
    event_type: str = Field(max_length=60)
    thread_id: str | None = Field(default=None, max_length=40)
    lane: str | None = Field(default=None, max_length=40)
    seq: int | None = None
    status: str = Field(max_length=10)  # pending | delivered | failed
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    # The body of an event that is not in the outbox (a ping); otherwise the outbox has it.
    payload: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    redelivery_of: str | None = Field(default=None, max_length=40)
    created_at: datetime
    finished_at: datetime | None = None


class WebhookAttempt(SQLModel, table=True):
    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_delivery", "delivery_id", "attempt"),)

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    )
    delivery_id: str = Field(max_length=40)
    attempt: int
    started_at: datetime
    status_code: int | None = None
    latency_ms: int
    error: str | None = Field(default=None, sa_column=Column(Text))
    response_excerpt: str | None = Field(default=None, sa_column=Column(Text))
