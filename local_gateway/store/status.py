"""What the status endpoints read: a database ping, the maintenance switch, the request log's
recent outcomes (for the SLO) and the job queue's backlog (for /metrics)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func, select, text
from sqlmodel import col

from local_gateway.store.db import Database
from local_gateway.store.job_tables import Job
from local_gateway.store.status_tables import Maintenance
from local_gateway.store.tables import RequestLog


@dataclass(frozen=True)
class MaintenanceRow:
    message: str
    eta: datetime | None
    started_at: datetime


@dataclass(frozen=True)
class Backlog:
    kind: str
    queued: int
    oldest_run_at: datetime | None


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def ping(db: Database) -> None:
    """Raises whatever the driver raises when the database does not answer."""
    async with db.read() as session:
        await session.execute(text("SELECT 1"))


async def maintenance(db: Database) -> MaintenanceRow | None:
    async with db.read() as session:
        row = await session.get(Maintenance, 1)
    if row is None:
        return None
    return MaintenanceRow(row.message, _utc(row.eta), _utc(row.started_at) or row.started_at)


async def set_maintenance(db: Database, message: str, eta: datetime | None, now: datetime) -> MaintenanceRow:
    async with db.write() as session:
        row = await session.get(Maintenance, 1)
        if row is None:
            row = Maintenance(id=1, message=message, eta=eta, started_at=now)
            session.add(row)
        else:  # a new ETA for the window already open keeps its start
            row.message, row.eta = message, eta
        started = row.started_at
    return MaintenanceRow(message, eta, _utc(started) or started)


async def clear_maintenance(db: Database) -> bool:
    async with db.write() as session:
        result = await session.execute(delete(Maintenance))
    return bool(getattr(result, "rowcount", 0))


async def outcomes(db: Database, since: datetime, limit: int) -> list[tuple[int, float]]:
    """``(status, latency_ms)`` of the newest ``limit`` logged requests since ``since``."""
    stmt = (
        select(col(RequestLog.status), col(RequestLog.latency_ms))
        .where(col(RequestLog.created_at) >= since)
        .order_by(RequestLog.created_at.desc())  # type: ignore[attr-defined]
        .limit(limit)
    )
    async with db.read() as session:
        rows = (await session.execute(stmt)).all()
    return [(int(status), float(latency)) for status, latency in rows]


async def backlog(db: Database) -> list[Backlog]:
    """Queued jobs per kind and when the oldest of them was due."""
    stmt = (
        select(col(Job.kind), func.count(), func.min(col(Job.run_at)))
        .where(col(Job.status) == "queued")
        .group_by(col(Job.kind))
    )
    async with db.read() as session:
        rows = (await session.execute(stmt)).all()
    return [Backlog(kind, int(count), _utc(oldest)) for kind, count, oldest in rows]
