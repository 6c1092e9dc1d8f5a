"""The maintenance switch every gateway process reads (see :mod:`local_gateway.store.status`);
migration ``0010_status``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel


class Maintenance(SQLModel, table=True):
    """One row while maintenance is on (id 1); none while it is off."""

    __tablename__ = "maintenance"

    id: int = Field(default=1, primary_key=True)
    message: str = Field(sa_column=Column(Text, nullable=False))
    eta: datetime | None = None
    started_at: datetime
