"""Tables of the billing domain besides the ledger and the request log (``tables.py``).

- ``usage_daily``: per developer, UTC day and model, what the request log recorded; kept when the
  log's rows are pruned, and what spend caps and ``/v1/usage`` add up (a few rows a day, not one
  per request);
- ``spend_limits``: a developer's own daily and monthly caps;
- ``credit_alerts``: one row per grant whose low-balance event was emitted (so it is emitted once);
- ``telemetry_events``: what SDK extensions and tools report.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index
from sqlmodel import Field, SQLModel


class UsageDaily(SQLModel, table=True):
    __tablename__ = "usage_daily"

    developer_id: str = Field(primary_key=True, foreign_key="developers.id", max_length=40)
    day: date = Field(primary_key=True)
    model: str = Field(primary_key=True, max_length=100)
    requests: int = 0
    errors: int = 0
    prompt_tokens: int = Field(default=0, sa_type=BigInteger)
    completion_tokens: int = Field(default=0, sa_type=BigInteger)
    cost_micros: int = Field(default=0, sa_type=BigInteger)


class SpendLimit(SQLModel, table=True):
    __tablename__ = "spend_limits"

    developer_id: str = Field(primary_key=True, foreign_key="developers.id", max_length=40)
    daily_cap_micros: int | None = Field(default=None, sa_type=BigInteger)
    monthly_cap_micros: int | None = Field(default=None, sa_type=BigInteger)
    updated_at: datetime


class CreditAlert(SQLModel, table=True):
    __tablename__ = "credit_alerts"

    developer_id: str = Field(primary_key=True, foreign_key="developers.id", max_length=40)
    # The ledger entry (a grant or purchase) whose threshold the balance crossed.
    grant_id: int = Field(primary_key=True)
    created_at: datetime


class TelemetryEvent(SQLModel, table=True):
    __tablename__ = "telemetry_events"
    __table_args__ = (Index("ix_telemetry_dev_time", "developer_id", "created_at"),)

    id: str = Field(primary_key=True, max_length=40)
    developer_id: str = Field(foreign_key="developers.id", max_length=40)
    key_id: str = Field(max_length=40)
    event: str = Field(max_length=60)
    source: str = Field(max_length=40)
    properties: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    created_at: datetime
