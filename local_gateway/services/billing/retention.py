"""Request-log retention: a ``billing.prune_logs`` job deletes rows older than the retention
period, then books its own next run an hour on. Daily usage aggregates are kept.

Each run is keyed by its hour (``billing.prune_logs:<hour>``), so however many processes start
and schedule, one job per hour is pending, and a run never reschedules itself into its own key.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from local_gateway.services.billing.usage import UsageService
from local_gateway.services.core.clock import Clock
from local_gateway.services.jobs import JobQueue, JobRecord

log = logging.getLogger("mg.gateway.billing")
PRUNE = "billing.prune_logs"
EVERY = timedelta(hours=1)


def _slot(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


class Retention:
    def __init__(self, jobs: JobQueue, usage: UsageService, clock: Clock, days: int) -> None:
        if days < 1:
            raise ValueError("log_retention_days must be at least 1")
        self.jobs = jobs
        self.usage = usage
        self.clock = clock
        self.days = days
        jobs.kinds.register(PRUNE, self.run_job, max_attempts=3)

    async def schedule(self, at: datetime | None = None) -> int:
        """Make sure a prune is pending for the hour of ``at`` (now by default)."""
        slot = _slot(at or self.clock.now())
        return await self.jobs.submit(
            PRUNE, {"days": self.days}, run_at=slot, dedupe_key=f"{PRUNE}:{slot.isoformat()}"
        )

    async def run_job(self, job: JobRecord) -> None:
        now = self.clock.now()
        days = int(job.payload.get("days") or self.days)
        removed = await self.usage.prune(now - timedelta(days=days))
        if removed:
            log.info("pruned %d request-log rows older than %d days", removed, days)
        await self.schedule(now + EVERY)
