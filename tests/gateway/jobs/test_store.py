"""Claims, leases, retries and dedupe keys of the job table, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from local_gateway.services.core.clock import Clock
from local_gateway.store import jobs as job_store
from local_gateway.store.db import Conflict, Database
from local_gateway.store.jobs import BACKOFF_BASE, BACKOFF_CAP, JobRecord, backoff

KIND = "test.kind"
LEASE = 30.0


async def add(db: Database, clock: Clock, payload: dict[str, Any] | None = None, **options: Any) -> int:
    async with db.write() as session:
        return await job_store.enqueue(session, KIND, payload or {}, now=clock.now(), **options)


async def claim(
    db: Database, clock: Clock, worker: str, limit: int = 10, kinds: tuple[str, ...] = (KIND,)
) -> list[JobRecord]:
    async with db.write() as session:
        return await job_store.claim(session, kinds, worker, now=clock.now(), lease=LEASE, limit=limit)


async def get(db: Database, job_id: int) -> JobRecord:
    async with db.read() as session:
        job = await job_store.get(session, job_id)
    assert job is not None
    return job


async def test_a_claim_takes_a_due_job_once_until_its_lease_runs_out(db: Database, clock: Clock) -> None:
    job_id = await add(db, clock, {"n": 1})
    [first] = await claim(db, clock, "w1")
    assert (first.id, first.status, first.attempts, first.locked_by) == (job_id, "running", 1, "w1")
    assert first.locked_until == clock.now() + timedelta(seconds=LEASE)
    assert first.payload == {"n": 1}
    clock.advance(LEASE - 1)
    assert await claim(db, clock, "w2") == [], "a held lease keeps the job from other workers"

    clock.advance(2)  # w1 died: its lease ran out
    [second] = await claim(db, clock, "w2")
    assert (second.id, second.attempts, second.locked_by) == (job_id, 2, "w2")
    async with db.write() as session:
        assert not await job_store.complete(session, first, now=clock.now()), "w1 lost the job"
        assert await job_store.complete(session, second, now=clock.now())
    done = await get(db, job_id)
    assert (done.status, done.locked_by, done.locked_until, done.finished_at) == (
        "done",
        "w2",
        None,
        clock.now(),
    )
    clock.advance(3600)
    assert await claim(db, clock, "w3") == []


async def test_concurrent_claims_take_each_job_once(db: Database, clock: Clock) -> None:
    ids = {await add(db, clock, {"i": i}) for i in range(60)}
    batches = await asyncio.gather(*(claim(db, clock, f"w{n}", limit=7) for n in range(12)))
    taken = [job.id for batch in batches for job in batch]
    assert len(taken) == len(set(taken)) == 60 and set(taken) == ids
    assert all(len(batch) <= 7 for batch in batches)


async def test_only_due_jobs_of_known_kinds_are_claimed(db: Database, clock: Clock) -> None:
    later = await add(db, clock, run_at=clock.now() + timedelta(seconds=60))
    async with db.write() as session:
        other = await job_store.enqueue(session, "other.kind", {}, now=clock.now())
    assert await claim(db, clock, "w1") == []
    clock.advance(60)
    assert [j.id for j in await claim(db, clock, "w1")] == [later]
    assert [j.id for j in await claim(db, clock, "w1", kinds=("other.kind",))] == [other]


async def test_a_worker_does_not_take_back_a_job_it_still_runs(db: Database, clock: Clock) -> None:
    await add(db, clock)
    [job] = await claim(db, clock, "w1")
    clock.advance(LEASE + 1)
    assert await claim(db, clock, "w1") == []
    assert [j.id for j in await claim(db, clock, "w2")] == [job.id]


async def test_renewal_keeps_the_lease_and_tells_a_taken_over_job(db: Database, clock: Clock) -> None:
    await add(db, clock)
    [job] = await claim(db, clock, "w1")
    for _ in range(3):
        clock.advance(LEASE - 1)
        async with db.write() as session:
            assert await job_store.renew(session, [job], now=clock.now(), lease=LEASE) == {job.id}
        assert await claim(db, clock, "w2") == []
    clock.advance(LEASE + 1)
    [taken] = await claim(db, clock, "w2")
    async with db.write() as session:
        assert await job_store.renew(session, [job], now=clock.now(), lease=LEASE) == set()
        assert await job_store.renew(session, [taken], now=clock.now(), lease=LEASE) == {job.id}


async def test_failures_back_off_then_give_up(db: Database, clock: Clock) -> None:
    job_id = await add(db, clock, max_attempts=3)
    delays = []
    for attempt in (1, 2, 3):
        [job] = await claim(db, clock, "w1")
        assert job.attempts == attempt
        async with db.write() as session:
            assert await job_store.fail(session, job, f"boom {attempt}", now=clock.now())
        after = await get(db, job_id)
        assert after.last_error == f"boom {attempt}" and after.locked_until is None
        if attempt < 3:
            assert after.status == "queued" and after.finished_at is None
            delays.append((after.run_at - clock.now()).total_seconds())
            assert await claim(db, clock, "w2") == [], "not before its backoff"
            clock.advance(delays[-1])
    assert BACKOFF_BASE / 2 <= delays[0] <= BACKOFF_BASE <= delays[1] <= 2 * BACKOFF_BASE
    failed = await get(db, job_id)
    assert (failed.status, failed.attempts, failed.finished_at) == ("failed", 3, clock.now())
    clock.advance(BACKOFF_CAP)
    assert await claim(db, clock, "w1") == []


def test_backoff_doubles_with_jitter_up_to_its_cap() -> None:
    for attempt in range(1, 30):
        full = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))
        samples = [backoff(attempt) for _ in range(200)]
        assert all(full / 2 <= s <= full for s in samples)
        assert len(set(samples)) > 100, "jitter spreads retries of jobs that failed together"


async def test_release_gives_a_job_back_at_once_without_counting_the_attempt(
    db: Database, clock: Clock
) -> None:
    job_id = await add(db, clock)
    [job] = await claim(db, clock, "w1")
    async with db.write() as session:
        assert await job_store.release(session, job, now=clock.now())
    released = await get(db, job_id)
    assert (released.status, released.attempts, released.run_at) == ("queued", 0, clock.now())
    [again] = await claim(db, clock, "w2")
    assert again.attempts == 1


async def test_one_pending_job_per_dedupe_key(db: Database, clock: Clock) -> None:
    first = await add(db, clock, {"v": 1}, dedupe_key="k")
    assert await add(db, clock, {"v": 2}, dedupe_key="k") == first
    assert (await get(db, first)).payload == {"v": 2}, "a queued job takes the newest payload"
    assert await add(db, clock, {"v": 1}, dedupe_key="other") != first

    [running] = [j for j in await claim(db, clock, "w1") if j.id == first]
    assert await add(db, clock, {"v": 3}, dedupe_key="k") == first
    async with db.write() as session:
        assert await job_store.complete(session, running, now=clock.now())
    again = await get(db, first)
    assert (again.status, again.attempts, again.payload) == ("queued", 0, {"v": 3}), (
        "enqueued while running: it runs once more"
    )
    [rerun] = await claim(db, clock, "w1")
    async with db.write() as session:
        assert await job_store.complete(session, rerun, now=clock.now())
    assert (await get(db, first)).status == "done"
    assert await add(db, clock, {"v": 4}, dedupe_key="k") != first, "a finished job no longer dedupes"


async def test_a_job_exists_only_if_its_transaction_commits(db: Database, clock: Clock) -> None:
    woken: list[str] = []
    with pytest.raises(RuntimeError):
        async with db.write() as session:
            await job_store.enqueue(session, KIND, {}, now=clock.now())
            job_store.on_commit(session, lambda: woken.append("rolled back"))
            raise RuntimeError("the change failed")
    assert await claim(db, clock, "w1") == [] and woken == []
    async with db.write() as session:
        await job_store.enqueue(session, KIND, {}, now=clock.now())
        job_store.on_commit(session, lambda: woken.append("committed"))
        assert woken == []
    assert woken == ["committed"] and len(await claim(db, clock, "w1")) == 1


async def test_retry_queues_a_failed_job_with_fresh_attempts(db: Database, clock: Clock) -> None:
    job_id = await add(db, clock, max_attempts=1, dedupe_key="k")
    [job] = await claim(db, clock, "w1")
    async with db.write() as session:
        assert await job_store.retry(session, job_id, now=clock.now()) is None, "not while it runs"
        await job_store.fail(session, job, "boom", now=clock.now())
    assert (await get(db, job_id)).status == "failed"
    twin = await add(db, clock, dedupe_key="k")
    with pytest.raises(Conflict):
        async with db.write() as session:
            await job_store.retry(session, job_id, now=clock.now())
    async with db.write() as session:
        [twin_job] = await job_store.claim(session, [KIND], "w1", now=clock.now(), lease=LEASE, limit=1)
        assert twin_job.id == twin
        await job_store.complete(session, twin_job, now=clock.now())
    async with db.write() as session:
        retried = await job_store.retry(session, job_id, now=clock.now())
    assert retried is not None
    assert (retried.status, retried.attempts, retried.finished_at, retried.run_at) == (
        "queued", 0, None, clock.now(),
    )  # fmt: skip
    assert [j.id for j in await claim(db, clock, "w2")] == [job_id]


async def test_the_migration_builds_the_table_the_model_describes(db: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    def compare(conn: Any) -> list[Any]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))

    async with db.engine.connect() as conn:
        diff = await conn.run_sync(compare)
    assert [d for d in diff if "jobs" in repr(d)] == []
