"""The queue prunes what ended long ago, keeps what is pending and recent, and books its next run."""

from __future__ import annotations

from datetime import timedelta

from local_gateway.services.core.clock import Clock
from local_gateway.services.jobs import JobQueue, JobRunner
from local_gateway.services.jobs.housekeeping import PRUNE, JobHousekeeping
from local_gateway.store import jobs as job_store
from local_gateway.store.db import Database

KIND = "test.kept"
DAY = 86_400


async def test_prune_removes_old_finished_jobs_only(db: Database, queue: JobQueue, clock: Clock) -> None:
    housekeeping = JobHousekeeping(queue, clock, done_days=7, failed_days=30)
    fail = {"n": 0}

    async def handler(job: job_store.JobRecord) -> None:
        if job.payload.get("fail"):
            fail["n"] += 1
            raise RuntimeError("boom")

    queue.kinds.register(KIND, handler, max_attempts=1)
    for payload in ({"ok": 1}, {"fail": True}):
        await queue.submit(KIND, payload)
    runner = JobRunner(queue, poll_interval=0.05)
    runner.start()
    await runner.idle()
    await runner.stop()
    waiting = await queue.submit(KIND, {"later": 1}, run_at=clock.now() + timedelta(days=60))

    async def statuses() -> list[str]:
        return sorted(j.status for j in await queue.list(kind=KIND))

    assert await statuses() == ["done", "failed", "queued"]
    assert await housekeeping.prune() == 0, "nothing is old yet"
    clock.offset += 8 * DAY
    assert await housekeeping.prune() == 1
    assert await statuses() == ["failed", "queued"], "failed jobs stay longer"
    clock.offset += 30 * DAY
    assert await housekeeping.prune() == 1
    assert [j.id for j in await queue.list(kind=KIND)] == [waiting], "a pending job is never pruned"


async def test_a_run_books_the_next_one(queue: JobQueue, clock: Clock) -> None:
    housekeeping = JobHousekeeping(queue, clock)
    first = await housekeeping.schedule()
    assert await housekeeping.schedule() == first, "one pending run per hour, however many processes"
    runner = JobRunner(queue, poll_interval=0.05)
    runner.start()
    await runner.idle()
    await runner.stop()
    pending = [j for j in await queue.list(kind=PRUNE) if j.status == "queued"]
    assert len(pending) == 1 and pending[0].run_at > clock.now()
