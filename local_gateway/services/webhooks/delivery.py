"""Sending deliveries: the ``webhooks.deliver`` job kind, the retry schedule, and the dispatcher
that turns outbox events into deliveries.

A delivery job makes one attempt. A failed attempt records itself and queues the next job at the
schedule's time (:func:`retry_delay`) in the same transaction, so a restart loses no retry;
the job itself ends ``done``. The queue's own retries are only for the handler failing (the
database away), never for what the receiver did.

Per thread and endpoint the deliveries form a lane and go out one at a time in event order: a
job whose delivery has an earlier pending one ends without sending, and the transaction that
finishes the earlier delivery queues the job of the next (see ``store/webhook_deliveries.py``
for why that cannot be missed). Endpoints do not share lanes, so one dead receiver delays only
its own deliveries; and no request waits on any of it.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from local_gateway.providers import webhook_http
from local_gateway.services.core.clock import Clock
from local_gateway.services.core.ids import new_id
from local_gateway.services.jobs import JobQueue, JobRecord
from local_gateway.services.webhooks.events import body as event_body
from local_gateway.store import webhook_deliveries as ds
from local_gateway.store import webhooks as ws
from local_gateway.store.db import Database, Session
from local_gateway.store.webhook_deliveries import AttemptRecord, DeliveryRecord
from local_gateway.store.webhooks import EndpointRecord
from mg.webhooks import signature_headers

log = logging.getLogger("mg.gateway.webhooks")

DELIVER = "webhooks.deliver"
# Standard Webhooks / Svix: after the first attempt, retries 5 s, 5 min, 30 min, 2 h, 5 h, 10 h
# and 10 h later — eight attempts over about 28 hours.
SCHEDULE = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)
MAX_ATTEMPTS = len(SCHEDULE) + 1
JITTER = 0.2
# A receiver's Retry-After can push a retry later than the schedule, up to this far.
RETRY_AFTER_CAP = 36000.0
FAILING_LIMIT = timedelta(days=5)


def retry_delay(
    attempt: int, retry_after: float | None = None, rand: Callable[[], float] = random.random
) -> float:
    """Seconds from failed attempt ``attempt`` (1-based) to the next: the schedule ±20 %, or the
    receiver's Retry-After when that is later (capped at :data:`RETRY_AFTER_CAP`)."""
    delay = SCHEDULE[attempt - 1] * (1 - JITTER + 2 * JITTER * rand())
    if retry_after is not None:
        delay = max(delay, min(retry_after, RETRY_AFTER_CAP))
    return delay


class Deliverer:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        jobs: JobQueue,
        *,
        private_urls: bool = False,
        timeout: float = webhook_http.TIMEOUT,
        resolve: webhook_http.Resolve = webhook_http.system_resolve,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.db = db
        self.clock = clock
        self.jobs = jobs
        self.private_urls = private_urls
        self.timeout = timeout
        self.resolve = resolve
        self.rand = rand
        # A handler failure (not a receiver's) is retried by the queue with its own backoff.
        jobs.kinds.register(DELIVER, self.run_job, max_attempts=20)

    def allows_private(self, endpoint: EndpointRecord) -> bool:
        return endpoint.environment == "test" or self.private_urls

    async def enqueue(
        self, session: Session, delivery: DeliveryRecord, run_at: datetime | None = None
    ) -> None:
        await self.jobs.enqueue(
            session,
            DELIVER,
            {"delivery_id": delivery.id, "attempt": delivery.attempts},
            run_at=run_at,
            # One pending job per delivery and attempt: a kick and a dispatch of the same delivery merge.
            dedupe_key=f"{DELIVER}:{delivery.id}:{delivery.attempts}",
        )

    async def run_job(self, job: JobRecord) -> None:
        delivery_id = str(job.payload["delivery_id"])
        expected = int(job.payload["attempt"])
        now = self.clock.now()
        async with self.db.write() as session:
            delivery = await ds.get(session, delivery_id)
            if delivery is None or delivery.status != "pending" or delivery.attempts != expected:
                return  # done already, or deleted with its endpoint: nothing is owed
            endpoint = await ws.get_endpoint_by_id(session, delivery.webhook_id)
            if endpoint is None:
                return
            if endpoint.status != "enabled":
                why = f"not sent: the endpoint is disabled ({endpoint.disabled_reason or 'by its owner'})"
                if await ds.give_up(session, delivery, why, now=now):
                    await self._kick(session, delivery, now)
                return
            if await ds.blocker(session, delivery) is not None:
                return  # the lane's earlier delivery queues this one when it ends
            payload = await self.body_of(session, delivery)
        if payload is None:
            async with self.db.write() as session:
                if await ds.give_up(session, delivery, "not sent: the event is gone", now=now):
                    await self._kick(session, delivery, now)
            return
        await self.attempt(delivery, endpoint, payload, retries=True)

    async def body_of(self, session: Session, delivery: DeliveryRecord) -> bytes | None:
        if delivery.payload is not None:
            p = delivery.payload
            return event_body(p["id"], p["event"], datetime.fromisoformat(p["created_at"]), p["data"])
        found = await ds.event(session, delivery.event_id)
        return event_body(found.id, found.type, found.created_at, found.data) if found else None

    async def attempt(
        self, delivery: DeliveryRecord, endpoint: EndpointRecord, payload: bytes, *, retries: bool
    ) -> AttemptRecord:
        """Send ``delivery`` once and record the attempt (and what follows from it)."""
        started = self.clock.now()
        headers = signature_headers(
            endpoint.signing_secrets(started), delivery.event_id, int(self.clock.time()), payload
        )
        answer = await webhook_http.post(
            endpoint.url,
            payload,
            headers,
            allow_private=self.allows_private(endpoint),
            timeout=self.timeout,
            resolve=self.resolve,
            wall=self.clock.time,
        )
        n = delivery.attempts + 1
        record = AttemptRecord(
            delivery.id, n, started, answer.status_code, answer.latency_ms, answer.error, answer.excerpt
        )
        code = answer.status_code
        ok = code is not None and 200 <= code < 300
        now = self.clock.now()
        next_at: datetime | None = None
        if ok:
            status = "delivered"
        elif code == 410 or not retries or n >= MAX_ATTEMPTS:
            status = "failed"
        else:
            status = "pending"
            next_at = now + timedelta(seconds=retry_delay(n, answer.retry_after, self.rand))
        async with self.db.write() as session:
            if not await ds.record_attempt(
                session, delivery, record, status=status, next_attempt_at=next_at, now=now
            ):
                return record  # another worker recorded this attempt (our lease was taken over)
            if ok:
                await ws.note_success(session, endpoint.id)
            else:
                since = await ws.note_failure(session, endpoint.id, now)
                if code == 410:
                    await ws.disable_endpoint(session, endpoint.id, "the receiver answered 410 Gone", now)
                elif now - since >= FAILING_LIMIT:
                    reason = (
                        f"every delivery failed for {FAILING_LIMIT.days} days (since {since:%Y-%m-%d %H:%M}Z)"
                    )
                    await ws.disable_endpoint(session, endpoint.id, reason, now)
            if status == "pending":
                await self.enqueue(session, replace(delivery, attempts=n), run_at=next_at)
            else:
                await self._kick(session, delivery, now)
        log.info(
            "webhook %s delivery %s attempt %d: %s",
            endpoint.id,
            delivery.id,
            n,
            code if code else answer.error,
        )
        return record

    async def _kick(self, session: Session, delivery: DeliveryRecord, now: datetime) -> None:
        following = await ds.next_in_lane(session, delivery)
        if following is not None:
            await self.enqueue(session, following, run_at=now)


class Dispatcher:
    """Turns undispatched outbox events into deliveries, in every process that runs jobs.

    It looks every ``poll`` seconds with one cheap read (a partial index of undispatched events)
    and writes only when there is something to dispatch.
    """

    def __init__(self, db: Database, clock: Clock, deliverer: Deliverer, *, poll: float = 0.2) -> None:
        self.db = db
        self.clock = clock
        self.deliverer = deliverer
        self.poll = poll
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> int:
        """Dispatch one batch; returns how many events it took."""
        async with self.db.read() as session:
            if not await ds.has_undispatched(session):
                return 0
        async with self.db.write() as session:
            taken, made = await ds.dispatch(session, now=self.clock.now(), new_id=new_id)
            for delivery in made:
                await self.deliverer.enqueue(session, delivery)
        return taken

    async def drain(self) -> None:
        while await self.run_once():
            pass

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="webhooks-dispatch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _loop(self) -> None:
        while True:
            try:
                if await self.run_once():
                    continue
            except Exception:  # the database is away for a moment: look again at the next poll
                log.warning("webhook dispatcher could not dispatch", exc_info=True)
            await asyncio.sleep(self.poll)
