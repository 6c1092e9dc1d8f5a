"""The queue cleans up after itself: a ``jobs.prune`` job deletes jobs that ended long ago, then
books its own next run an hour on (keyed by the hour, so many processes book one run).

Done jobs go after ``done_days`` (their work is in the tables they changed); failed ones are kept
for ``failed_days`` so an operator can still read their last error (``admin jobs --status failed``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from local_gateway.services.core.clock import Clock
from local_gateway.services.jobs.queue import JobQueue
from local_gateway.store import jobs as job_store
from local_gateway.store.jobs import JobRecord

log = logging.getLogger("mg.gateway.jobs")
PRUNE = "jobs.prune"
EVERY = timedelta(hours=1)


class JobHousekeeping:
    def __init__(self, jobs: JobQueue, clock: Clock, *, done_days: int = 7, failed_days: int = 30) -> None:
        self.jobs = jobs
        self.clock = clock
        self.done_days = done_days
        self.failed_days = failed_days
        jobs.kinds.register(PRUNE, self.run_job, max_attempts=3)

    async def schedule(self, at: datetime | None = None) -> int:
        slot = (at or self.clock.now()).replace(minute=0, second=0, microsecond=0)
        return await self.jobs.submit(PRUNE, {}, run_at=slot, dedupe_key=f"{PRUNE}:{slot.isoformat()}")

    async def prune(self) -> int:
        now = self.clock.now()
        async with self.jobs.db.write() as session:
            removed = await job_store.prune_finished(
                session,
                done_before=now - timedelta(days=self.done_days),
                failed_before=now - timedelta(days=self.failed_days),
            )
        if removed:
            log.info("pruned %d finished jobs", removed)
        return removed

    async def run_job(self, job: JobRecord) -> None:
        await self.prune()
        await self.schedule(self.clock.now() + EVERY)
