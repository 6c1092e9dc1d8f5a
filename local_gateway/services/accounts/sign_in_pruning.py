"""Used and lapsed sign-in links and ended sessions do not pile up: a ``sign_in.prune`` job
deletes those older than a day, then books its own next run an hour on (keyed by the hour, so
many processes book one run). The per-email and per-address limits only count the last 15
minutes, so a day of history is all they need."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from local_gateway.services.core.clock import Clock
from local_gateway.services.jobs import JobQueue, JobRecord
from local_gateway.store import portal

log = logging.getLogger("mg.gateway.sign_in")
PRUNE = "sign_in.prune"
EVERY = timedelta(hours=1)
KEEP = timedelta(days=1)


class SignInPruning:
    def __init__(self, jobs: JobQueue, clock: Clock) -> None:
        self.jobs = jobs
        self.clock = clock
        jobs.kinds.register(PRUNE, self.run_job, max_attempts=3)

    async def schedule(self, at: datetime | None = None) -> int:
        slot = (at or self.clock.now()).replace(minute=0, second=0, microsecond=0)
        return await self.jobs.submit(PRUNE, {}, run_at=slot, dedupe_key=f"{PRUNE}:{slot.isoformat()}")

    async def prune(self) -> int:
        async with self.jobs.db.write() as session:
            removed = await portal.prune(session, self.clock.now() - KEEP)
        if removed:
            log.info("pruned %d sign-in links and sessions", removed)
        return removed

    async def run_job(self, job: JobRecord) -> None:
        await self.prune()
        await self.schedule(self.clock.now() + EVERY)
