"""The runner in one process: woken by its own enqueues, bounded, hands work back when stopped."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from local_gateway.services.core.clock import Clock
from local_gateway.services.jobs import JobQueue, JobRecord, JobRunner
from local_gateway.store import jobs as job_store
from local_gateway.store.db import Database
from local_gateway.store.jobs import BACKOFF_BASE

KIND = "test.job"


@pytest.fixture
def clock() -> Clock:
    return Clock()  # wall time: leases are renewed on real timers; tests move it forward


@pytest.fixture
async def runners(queue: JobQueue) -> AsyncIterator[Callable[..., JobRunner]]:
    started: list[JobRunner] = []

    def start(**options: float) -> JobRunner:
        runner = JobRunner(queue, **{"poll_interval": 0.05, **options})  # type: ignore[arg-type]
        runner.start()
        started.append(runner)
        return runner

    yield start
    for runner in started:
        await runner.stop()


async def jobs_of(db: Database) -> list[JobRecord]:
    async with db.read() as session:
        return sorted(await job_store.list_jobs(session, kind=KIND), key=lambda j: j.id)


async def until(check: Callable[[], bool], timeout: float = 30) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.01)


def register(queue: JobQueue, handler: Callable[[JobRecord], Awaitable[None]]) -> None:
    queue.kinds.register(KIND, handler)


async def test_a_job_enqueued_here_runs_at_once_not_at_the_next_poll(queue: JobQueue, runners) -> None:
    ran = asyncio.Event()

    async def handler(job: JobRecord) -> None:
        assert job.payload == {"hello": "world"}
        ran.set()

    register(queue, handler)
    runner = runners(poll_interval=3600)
    await runner.idle()
    await queue.submit(KIND, {"hello": "world"})
    async with asyncio.timeout(30):  # an hour would pass before the next poll
        await ran.wait()
    await runner.idle()
    assert [j.status for j in await jobs_of(queue.db)] == ["done"]


async def test_no_more_than_concurrency_jobs_run_at_once(queue: JobQueue, runners) -> None:
    gate, running, most = asyncio.Event(), [0], [0]

    async def handler(job: JobRecord) -> None:
        running[0] += 1
        most[0] = max(most[0], running[0])
        await gate.wait()
        running[0] -= 1

    register(queue, handler)
    runner = runners(concurrency=2)
    for i in range(6):
        await queue.submit(KIND, {"i": i})
    await until(lambda: running[0] == 2)
    await asyncio.sleep(0.3)  # several polls: none of them may start a third job
    assert most[0] == 2 and [j.status for j in await jobs_of(queue.db)].count("queued") == 4
    gate.set()
    await runner.idle()
    assert most[0] == 2 and {j.status for j in await jobs_of(queue.db)} == {"done"}


async def test_a_failed_attempt_is_retried_after_its_backoff(queue: JobQueue, clock: Clock, runners) -> None:
    async def handler(job: JobRecord) -> None:
        if job.attempts == 1:
            raise ValueError("upstream said no")

    register(queue, handler)
    runner = runners()
    await queue.submit(KIND, {})
    await runner.idle()  # a job waiting for its backoff is not due: idle returns
    [job] = await jobs_of(queue.db)
    assert (job.status, job.attempts, job.last_error) == ("queued", 1, "ValueError: upstream said no")
    clock.advance(BACKOFF_BASE)
    await runner.idle()
    [job] = await jobs_of(queue.db)
    assert (job.status, job.attempts) == ("done", 2)


async def test_stop_hands_unfinished_jobs_back_at_once(queue: JobQueue, runners) -> None:
    started, cancelled, finish = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def handler(job: JobRecord) -> None:
        started.set()
        try:
            await finish.wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    register(queue, handler)
    first = runners(stop_grace=0.1)
    await queue.submit(KIND, {})
    await started.wait()
    await first.stop()
    [job] = await jobs_of(queue.db)
    assert cancelled.is_set()
    assert (job.status, job.attempts, job.locked_until) == ("queued", 0, None), "released, not failed"
    finish.set()
    second = runners()
    await second.idle()
    [job] = await jobs_of(queue.db)
    assert (job.status, job.attempts, job.locked_by) == ("done", 1, second.worker)


async def test_a_worker_whose_lease_was_taken_over_stops_the_job(
    queue: JobQueue, clock: Clock, runners
) -> None:
    started, stopped = asyncio.Event(), asyncio.Event()

    async def handler(job: JobRecord) -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            stopped.set()
            raise

    register(queue, handler)
    lease = 1.5
    stalled = runners(lease=lease)
    await queue.submit(KIND, {})
    await started.wait()
    taken: list[JobRecord] = []
    while not taken:  # as if the stalled worker missed its renewals
        clock.advance(lease + 1)
        async with queue.db.write() as session:
            taken = await job_store.claim(
                session, [KIND], "other-worker", now=clock.now(), lease=600, limit=1
            )
    async with asyncio.timeout(30):
        await stopped.wait()
    await stalled.stop()
    [job] = await jobs_of(queue.db)
    assert (job.status, job.attempts, job.locked_by) == ("running", 2, "other-worker"), (
        "the stalled worker neither released nor finished what it no longer holds"
    )


async def test_leases_are_renewed_while_a_long_job_runs(queue: JobQueue, runners) -> None:
    finish, starts = asyncio.Event(), []

    async def handler(job: JobRecord) -> None:
        starts.append(job.locked_by)
        await finish.wait()

    register(queue, handler)
    lease = 3.0
    worker = runners(lease=lease)
    rival = runners(lease=lease)
    await queue.submit(KIND, {})
    await until(lambda: bool(starts))
    [first] = await jobs_of(queue.db)
    seen = {first.locked_until}
    async with asyncio.timeout(60):
        while len(seen) < 4:  # three renewals: longer than a lease, and still held
            await asyncio.sleep(0.1)
            seen.add((await jobs_of(queue.db))[0].locked_until)
    finish.set()
    await worker.idle()
    await rival.idle()
    [job] = await jobs_of(queue.db)
    assert len(starts) == 1 and (job.status, job.attempts) == ("done", 1)
