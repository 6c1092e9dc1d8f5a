"""The table of the job queue (see :mod:`local_gateway.store.jobs`); migration ``0004_jobs``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, Text, text
from sqlmodel import Field, SQLModel

# A job is pending while queued or running; at most one pending job per dedupe key.
PENDING = ("queued", "running")
PENDING_SQL = "status IN ({})".format(", ".join(f"'{s}'" for s in PENDING))


class Job(SQLModel, table=True):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_status_run_at", "status", "run_at"),
        Index(
            "ux_jobs_dedupe_pending",
            "dedupe_key",
            unique=True,
            sqlite_where=text(PENDING_SQL),
            postgresql_where=text(PENDING_SQL),
        ),
    )

    # BIGINT on PostgreSQL; SQLite's rowid alias must be spelled INTEGER.
    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    )
    kind: str = Field(max_length=60)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(max_length=10)  # queued | running | done | failed
    run_at: datetime
    attempts: int = 0
    max_attempts: int
    # While running: the worker holding the lease. Afterwards: the worker of the last attempt.
    locked_by: str | None = Field(default=None, max_length=120)
    locked_until: datetime | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    dedupe_key: str | None = Field(default=None, max_length=300)
    # Enqueued again (same dedupe key) while running: run once more after this attempt.
    rerun: bool = False
    created_at: datetime
    finished_at: datetime | None = None
