"""The job queue: one table every background task of the gateway goes through.

A job is a row: its ``kind`` names the handler, ``payload`` is its JSON argument. Workers (every
gateway process that runs a :class:`~local_gateway.services.jobs.JobRunner`) *claim* due jobs
atomically, setting a lease (``locked_until``) they renew while the handler runs. A job whose
lease runs out — its process was killed, or lost the database — is due again and the next
claim takes it, so delivery is at-least-once and every handler must be idempotent. The attempt
number (``attempts``, counted at each claim) is the claim's token: complete, fail, renew and
release change the row only while it still belongs to that attempt of that worker, so a worker
whose lease was taken over cannot overwrite the new owner's work.

Claiming is one statement. PostgreSQL: ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP
LOCKED) RETURNING``, so concurrent workers take different rows without waiting on each other.
SQLite: the same ``UPDATE … WHERE id IN (SELECT …) RETURNING`` without the locking clause,
through the single writer (``Database.write``); SQLite's own write lock orders the processes
that share one file. Times come from the gateway's clock, not the database's, so tests can
expire a lease by moving the clock.

A failed attempt is retried after an exponential backoff with jitter (:func:`backoff`) until
``max_attempts``; then the job ends ``failed`` with its ``last_error``. A ``dedupe_key`` allows at
most one pending (queued or running) job per key — a partial unique index, which SQLite and
PostgreSQL both have. Enqueuing a key that is queued replaces the payload; one that is running
marks it to run once more after the current attempt (``rerun``), so no request is lost to
deduplication.

Written here rather than taken from a library: no maintained asyncio job queue covers both
SQLite and PostgreSQL (procrastinate and pgqueuer are PostgreSQL-only, arq and saq need Redis),
and the gateway must run on a laptop with SQLite alone.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Executable, and_, case, delete, event, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from local_gateway.store.dialect import affected
from local_gateway.store.job_tables import PENDING_SQL, Job

# Columns of the table (typed as SQL expressions, which the model's attributes are not to mypy).
c = Job.metadata.tables["jobs"].c

STATUSES = ("queued", "running", "done", "failed")
BACKOFF_BASE = 5.0
BACKOFF_CAP = 3600.0
ERROR_LIMIT = 2000


@dataclass(frozen=True)
class JobRecord:
    id: int
    kind: str
    payload: dict[str, Any]
    status: str
    run_at: datetime
    attempts: int
    max_attempts: int
    locked_by: str | None
    locked_until: datetime | None
    last_error: str | None
    dedupe_key: str | None
    created_at: datetime
    finished_at: datetime | None


_COLUMNS = [c[f] for f in JobRecord.__dataclass_fields__]


def _records(rows: Any) -> list[JobRecord]:
    return [JobRecord(*row) for row in rows]


def backoff(attempt: int, base: float = BACKOFF_BASE, cap: float = BACKOFF_CAP) -> float:
    """Seconds before retrying after failed ``attempt`` (1, 2, …): doubling, capped, with "equal
    jitter" (half fixed, half random) so that jobs failing together do not retry together."""
    delay = min(cap, base * 2.0 ** max(attempt - 1, 0))
    return delay / 2 + random.random() * delay / 2


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any],
    *,
    now: datetime,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
    max_attempts: int = 5,
) -> int:
    """Add a job in the caller's transaction (it exists once that commits); returns its id."""
    values = dict(
        kind=kind, payload=payload, status="queued", run_at=run_at or now, attempts=0,
        max_attempts=max_attempts, dedupe_key=dedupe_key, rerun=False, created_at=now,
    )  # fmt: skip
    if dedupe_key is None:
        return int((await session.execute(insert(Job).values(**values).returning(c.id))).scalar_one())
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(Job).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[c.dedupe_key],
        index_where=text(PENDING_SQL),
        set_={"payload": stmt.excluded.payload, "rerun": c.status == "running"},
    )
    return int((await session.execute(stmt.returning(c.id))).scalar_one())


def on_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Call ``callback`` once the session's transaction commits (not if it rolls back)."""
    event.listen(session.sync_session, "after_commit", lambda _s: callback(), once=True)


async def claim(
    session: AsyncSession, kinds: Sequence[str], worker: str, *, now: datetime, lease: float, limit: int
) -> list[JobRecord]:
    """Take up to ``limit`` due jobs of ``kinds``: queued ones whose time has come, and running
    ones whose lease ran out (their worker is gone). A worker never re-takes a job it still runs."""
    due = or_(
        and_(c.status == "queued", c.run_at <= now),
        and_(c.status == "running", c.locked_until < now, c.locked_by != worker),
    )
    pick = select(c.id).where(due, c.kind.in_(list(kinds))).order_by(c.run_at, c.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    stmt = (
        update(Job)
        .where(c.id.in_(pick))
        .values(
            status="running",
            locked_by=worker,
            locked_until=now + timedelta(seconds=lease),
            attempts=c.attempts + 1,
        )
        .returning(*_COLUMNS)
    )
    return sorted(_records(await session.execute(stmt)), key=lambda j: (j.run_at, j.id))


async def _changed(session: AsyncSession, stmt: Executable) -> bool:
    return bool(cast(CursorResult[Any], await session.execute(stmt)).rowcount)


def _held(job: JobRecord) -> Any:
    return and_(
        c.id == job.id,
        c.status == "running",
        c.locked_by == job.locked_by,
        c.attempts == job.attempts,
    )


async def renew(session: AsyncSession, jobs: Sequence[JobRecord], *, now: datetime, lease: float) -> set[int]:
    """Extend the leases of ``jobs`` (as claimed); returns the ids whose lease was still theirs."""
    kept = set()
    for job in jobs:
        stmt = update(Job).where(_held(job)).values(locked_until=now + timedelta(seconds=lease))
        if await _changed(session, stmt):
            kept.add(job.id)
    return kept


async def complete(session: AsyncSession, job: JobRecord, *, now: datetime) -> bool:
    """Mark the attempt done (or queue the job again if it was re-enqueued meanwhile)."""
    stmt = (
        update(Job)
        .where(_held(job))
        .values(
            status=case((c.rerun, "queued"), else_="done"),
            run_at=case((c.rerun, now), else_=c.run_at),
            attempts=case((c.rerun, 0), else_=c.attempts),
            finished_at=case((c.rerun, None), else_=now),
            locked_until=None,
            rerun=False,
        )
    )
    return await _changed(session, stmt)


async def fail(session: AsyncSession, job: JobRecord, error: str, *, now: datetime) -> bool:
    """Record a failed attempt: retry after :func:`backoff`, or give up after ``max_attempts``."""
    give_up = and_(c.attempts >= c.max_attempts, c.rerun.is_(False))
    stmt = (
        update(Job)
        .where(_held(job))
        .values(
            status=case((give_up, "failed"), else_="queued"),
            run_at=now + timedelta(seconds=backoff(job.attempts)),
            # A rerun is a newer request: it gets attempts of its own.
            attempts=case((c.rerun, 0), else_=c.attempts),
            finished_at=case((give_up, now), else_=None),
            last_error=error[:ERROR_LIMIT],
            locked_until=None,
            rerun=False,
        )
    )
    return await _changed(session, stmt)


async def release(session: AsyncSession, job: JobRecord, *, now: datetime) -> bool:
    """Give an unfinished attempt back at shutdown: due at once, and not counted as a failure."""
    stmt = (
        update(Job)
        .where(_held(job))
        .values(status="queued", run_at=now, attempts=c.attempts - 1, locked_until=None, rerun=False)
    )
    return await _changed(session, stmt)


async def get(session: AsyncSession, job_id: int) -> JobRecord | None:
    rows = _records(await session.execute(select(*_COLUMNS).where(c.id == job_id)))
    return rows[0] if rows else None


async def list_jobs(
    session: AsyncSession,
    *,
    status: str | None = None,
    kind: str | None = None,
    ids: Sequence[int] | None = None,
    limit: int = 100,
) -> list[JobRecord]:
    """Jobs, newest first."""
    stmt = select(*_COLUMNS).order_by(c.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(c.status == status)
    if kind:
        stmt = stmt.where(c.kind == kind)
    if ids is not None:
        stmt = stmt.where(c.id.in_(list(ids)))
    return _records(await session.execute(stmt))


async def retry(session: AsyncSession, job_id: int, *, now: datetime) -> JobRecord | None:
    """Queue a job that is not running again, due now, with its attempts reset. A pending job with
    the same dedupe key makes this a :class:`~local_gateway.store.db.Conflict` at commit."""
    stmt = (
        update(Job)
        .where(c.id == job_id, c.status != "running")
        .values(status="queued", run_at=now, attempts=0, finished_at=None, locked_until=None, rerun=False)
        .returning(*_COLUMNS)
    )
    rows = _records(await session.execute(stmt))
    return rows[0] if rows else None


async def prune_finished(session: AsyncSession, *, done_before: datetime, failed_before: datetime) -> int:
    """Delete jobs that ended before the given moments (done ones sooner than failed ones, which
    an operator may still want to read). Pending jobs are never touched."""
    stmt = delete(Job).where(
        or_(
            and_(c.status == "done", c.finished_at < done_before),
            and_(c.status == "failed", c.finished_at < failed_before),
        )
    )
    return await affected(session, stmt)
