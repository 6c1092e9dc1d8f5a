"""The runner: claims due jobs and runs their handlers, a bounded number at a time.

One runner per gateway process (``MG_JOBS_WORKER=0`` runs none, for web-only processes), started
and stopped by the app's ``cleanup_ctx``. Its loop claims as many jobs as it has free slots, then
sleeps until it is woken — a job committed by this process, a slot freed, stop — or for
``poll_interval``, which is how it sees jobs of other processes, retries whose time has come and
leases that ran out. A keeper renews the leases of the running jobs every third of a lease; a
job whose lease was taken over meanwhile (this process stalled longer than a lease) is cancelled
here, because another worker now runs it.

Stopping claims nothing more, gives the running handlers ``stop_grace`` seconds, then cancels the
rest and releases them (queued again, due at once, the attempt not counted) so that another
process takes them at once. Should the release not reach the database, the lease hands them over
when it runs out — the same path that covers a process killed outright.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from local_gateway.services.jobs.queue import JobQueue
from local_gateway.store import jobs as job_store
from local_gateway.store.jobs import JobRecord

log = logging.getLogger("mg.gateway.jobs")


def worker_name() -> str:
    """host:pid:random — unique per process start, readable in ``admin jobs``."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(3)}"


class JobRunner:
    def __init__(
        self,
        queue: JobQueue,
        *,
        worker: str | None = None,
        concurrency: int = 4,
        poll_interval: float = 1.0,
        lease: float = 60.0,
        stop_grace: float = 5.0,
    ) -> None:
        if concurrency < 1 or poll_interval <= 0 or lease <= 0:
            raise ValueError("jobs: concurrency must be >= 1, poll interval and lease > 0")
        self.queue = queue
        self.worker = worker or worker_name()
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        self.lease = lease
        self.stop_grace = stop_grace
        self._running: dict[int, tuple[asyncio.Task[None], JobRecord]] = {}
        self._lost: set[tuple[int, int]] = set()
        self._handling: set[tuple[int, int]] = set()
        self._nudge = asyncio.Event()
        self._idle = asyncio.Condition()
        self._round = self._empty_round = 0
        self._stopping = False
        self._loop_task: asyncio.Task[None] | None = None
        self._keeper: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.queue.subscribe(self._nudge.set)
        self._loop_task = asyncio.create_task(self._loop(), name="jobs-runner")
        self._keeper = asyncio.create_task(self._keep_leases(), name="jobs-leases")
        log.info("job runner %s: kinds %s", self.worker, ", ".join(self.queue.kinds.names()))

    async def idle(self) -> None:
        """Wait until this runner finds no due job with none of its own running (tests, ops).

        Jobs waiting for a later ``run_at`` (a retry's backoff) do not count as due.
        """
        if self._loop_task is None or self._stopping:
            raise RuntimeError("the job runner is not running")
        async with self._idle:
            seen = self._round
            self._nudge.set()
            await self._idle.wait_for(lambda: self._empty_round > seen or self._stopping)

    async def stop(self) -> None:
        self._stopping = True
        self._nudge.set()
        if self._loop_task is not None:
            await self._loop_task
        tasks = [task for task, _ in self._running.values()]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=self.stop_grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self._keeper is not None:
            self._keeper.cancel()
            await asyncio.gather(self._keeper, return_exceptions=True)
        async with self._idle:
            self._idle.notify_all()

    # -- the loop ------------------------------------------------------------------------------

    async def _loop(self) -> None:
        while not self._stopping:
            self._nudge.clear()
            free = self.concurrency - len(self._running)
            if free > 0:
                self._round += 1
                started = self._round
                claimed = await self._claim(free)
                for job in claimed:
                    self._start(job)
                if not claimed and not self._running:
                    async with self._idle:
                        self._empty_round = started
                        self._idle.notify_all()
            try:
                await asyncio.wait_for(self._nudge.wait(), self.poll_interval)
            except TimeoutError:
                pass

    async def _claim(self, limit: int) -> list[JobRecord]:
        kinds = self.queue.kinds.names()
        try:
            async with self.queue.db.write() as session:
                return await job_store.claim(
                    session, kinds, self.worker, now=self.queue.clock.now(), lease=self.lease, limit=limit
                )
        except Exception:  # the database is away for a moment: try again at the next poll
            log.warning("job runner %s could not claim jobs", self.worker, exc_info=True)
            return []

    def _start(self, job: JobRecord) -> None:
        task = asyncio.create_task(self._run(job), name=f"job-{job.id}")
        self._running[job.id] = (task, job)

        def finished(_task: asyncio.Task[None]) -> None:
            if self._running.get(job.id, (None,))[0] is task:
                del self._running[job.id]
            self._lost.discard((job.id, job.attempts))
            self._nudge.set()

        task.add_done_callback(finished)

    async def _run(self, job: JobRecord) -> None:
        kind = self.queue.kinds.get(job.kind)
        assert kind is not None  # claimed by kind
        attempt = (job.id, job.attempts)
        self._handling.add(attempt)
        try:
            try:
                await kind.handler(job)
            finally:
                self._handling.discard(attempt)
        except asyncio.CancelledError:
            if attempt not in self._lost:
                await self._write(job_store.release, job)
            raise
        except Exception as exc:
            log.warning(
                "job %d (%s) attempt %d of %d failed", job.id, job.kind, job.attempts, job.max_attempts,
                exc_info=True,
            )  # fmt: skip
            await self._write(job_store.fail, job, f"{type(exc).__name__}: {exc}")
        else:
            if not await self._write(job_store.complete, job):
                log.warning("job %d (%s) finished after its lease was taken over", job.id, job.kind)

    async def _write(self, fn: Callable[..., Awaitable[bool]], job: JobRecord, *args: Any) -> bool:
        try:
            async with self.queue.db.write() as session:
                return await fn(session, job, *args, now=self.queue.clock.now())
        except Exception:  # not recorded: the lease runs out and the job is claimed again
            log.warning("job %d: could not record the attempt's end", job.id, exc_info=True)
            return False

    async def _keep_leases(self) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            held = [job for _, job in self._running.values()]
            if not held:
                continue
            try:
                async with self.queue.db.write() as session:
                    kept = await job_store.renew(session, held, now=self.queue.clock.now(), lease=self.lease)
            except Exception:
                log.warning("job runner %s could not renew its leases", self.worker, exc_info=True)
                continue
            for job in held:
                task, _ = self._running.get(job.id, (None, None))
                if job.id not in kept and task is not None and (job.id, job.attempts) in self._handling:
                    log.warning("job %d (%s): lease taken over; stopping it here", job.id, job.kind)
                    self._lost.add((job.id, job.attempts))
                    task.cancel()
