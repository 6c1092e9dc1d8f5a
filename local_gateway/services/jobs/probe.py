"""``jobs.probe``: a job that only reports who ran it — the operator's check that workers work.

``python -m local_gateway admin jobs probe --wait 30`` enqueues a probe and waits for it; each
attempt logs ``probe job N attempt A started on WORKER`` and the job ends ``done`` with the worker
in ``locked_by``. Two options exercise the machinery itself on a live deployment:

- ``hold`` keeps the probe running for that many seconds of the gateway's clock: lease renewal,
  the hand-over at shutdown, what happens to a worker killed in the middle of a job;
- ``fail`` makes the first N attempts fail: retries, backoff, ``failed`` with its ``last_error``,
  and ``admin jobs retry``.
"""

from __future__ import annotations

import asyncio
import logging

from local_gateway.services.jobs.queue import JobQueue
from local_gateway.store.jobs import JobRecord

log = logging.getLogger("mg.gateway.jobs")
PROBE = "jobs.probe"
PROBE_MAX_ATTEMPTS = 3


class ProbeFailure(Exception):
    """The failure a probe was asked for."""


def register_probe(queue: JobQueue) -> None:
    clock = queue.clock

    async def probe(job: JobRecord) -> None:
        log.info("probe job %d attempt %d started on %s", job.id, job.attempts, job.locked_by)
        end = clock.time() + float(job.payload.get("hold") or 0)
        # Polled rather than slept in one go: the clock can be moved forward (MG_CLOCK_OFFSET_FILE).
        while (left := end - clock.time()) > 0:
            await asyncio.sleep(min(left, 0.1))
        failures = int(job.payload.get("fail") or 0)
        if job.attempts <= failures:
            raise ProbeFailure(f"probe failure {job.attempts} of {failures}, as asked")
        log.info("probe job %d attempt %d done on %s", job.id, job.attempts, job.locked_by)

    queue.kinds.register(PROBE, probe, max_attempts=PROBE_MAX_ATTEMPTS)


async def enqueue_probes(
    queue: JobQueue, count: int = 1, *, hold: float = 0.0, fail: int = 0, max_attempts: int | None = None
) -> list[int]:
    """Queue ``count`` probes in one transaction; returns their ids."""
    if count < 1 or hold < 0 or fail < 0 or (max_attempts is not None and max_attempts < 1):
        raise ValueError("probe: count and max attempts must be >= 1, hold and fail >= 0")
    payload = {"hold": hold, "fail": fail}
    async with queue.db.write() as session:
        return [await queue.enqueue(session, PROBE, payload, max_attempts=max_attempts) for _ in range(count)]
