"""Job kinds, enqueuing, and the operator's view of the queue (``admin jobs``).

A domain that has background work registers a kind at app start — a name and an async handler
that takes the :class:`JobRecord` — and enqueues jobs of it, preferably inside the transaction of
the change that calls for them, so the job exists exactly when the change does::

    queue.kinds.register("npc.fold", folder.run_job, max_attempts=5)
    async with db.write() as session:
        ...  # the change
        await queue.enqueue(session, "npc.fold", {...}, dedupe_key=f"npc.fold:{thread}:{viewer}")

Handlers run at least once (a lease can run out under a live handler, a process can die after
the work but before it records it), so they must be idempotent. A handler that raises is retried
with backoff until the kind's ``max_attempts``, then the job ends ``failed``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from local_gateway.services.core.clock import Clock
from local_gateway.store import jobs as job_store
from local_gateway.store.db import Conflict, Database, Session
from local_gateway.store.jobs import STATUSES, JobRecord

Handler = Callable[[JobRecord], Awaitable[None]]
DEFAULT_MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class JobKind:
    name: str
    handler: Handler
    max_attempts: int


class JobKinds:
    """The registry of job kinds. A runner claims only kinds registered in its process, so a
    process of an older release never takes a job it has no handler for."""

    def __init__(self) -> None:
        self._kinds: dict[str, JobKind] = {}

    def register(self, name: str, handler: Handler, *, max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> None:
        if name in self._kinds:
            raise ValueError(f"job kind {name!r} is already registered")
        self._kinds[name] = JobKind(name, handler, max_attempts)

    def get(self, name: str) -> JobKind | None:
        return self._kinds.get(name)

    def names(self) -> list[str]:
        return sorted(self._kinds)


class JobQueue:
    def __init__(self, db: Database, clock: Clock, kinds: JobKinds | None = None) -> None:
        self.db = db
        self.clock = clock
        self.kinds = kinds or JobKinds()
        self._listeners: list[Callable[[], None]] = []

    async def enqueue(
        self,
        session: Session,
        kind: str,
        payload: dict[str, Any],
        *,
        run_at: datetime | None = None,
        dedupe_key: str | None = None,
        max_attempts: int | None = None,
    ) -> int:
        """Add a job inside the caller's write transaction; returns its id.

        With a ``dedupe_key`` at most one job per key is pending: a queued one takes the new
        payload, a running one runs once more afterwards (and the id returned is that job's).
        A runner of this process is woken as soon as the transaction commits.
        """
        known = self.kinds.get(kind)
        if known is None:
            raise ValueError(f"unknown job kind {kind!r}")
        job_id = await job_store.enqueue(
            session,
            kind,
            payload,
            now=self.clock.now(),
            run_at=run_at,
            dedupe_key=dedupe_key,
            max_attempts=max_attempts or known.max_attempts,
        )
        job_store.on_commit(session, self._notify)
        return job_id

    async def submit(self, kind: str, payload: dict[str, Any], **options: Any) -> int:
        """:meth:`enqueue` in a transaction of its own."""
        async with self.db.write() as session:
            return await self.enqueue(session, kind, payload, **options)

    def subscribe(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` whenever this process has committed a new job (runners listen)."""
        self._listeners.append(callback)

    def _notify(self) -> None:
        for callback in self._listeners:
            callback()

    # -- operators -----------------------------------------------------------------------------

    async def list(
        self,
        *,
        status: str | None = None,
        kind: str | None = None,
        ids: list[int] | None = None,
        limit: int = 100,
    ) -> list[JobRecord]:
        """Jobs, newest first, optionally of one status and kind."""
        if status and status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        async with self.db.read() as session:
            return await job_store.list_jobs(session, status=status, kind=kind, ids=ids, limit=limit)

    async def retry(self, job_id: int) -> JobRecord:
        """Run a failed (or done, or waiting) job again now, with fresh attempts."""
        try:
            async with self.db.write() as session:
                job = await job_store.retry(session, job_id, now=self.clock.now())
                current = job or await job_store.get(session, job_id)
        except Conflict:
            raise ValueError(f"job {job_id} has a pending twin (same dedupe key); let that one run") from None
        if current is None:
            raise ValueError(f"no job {job_id}")
        if job is None:
            raise ValueError(f"job {job_id} is running (worker {current.locked_by}); retry it once it ends")
        self._notify()
        return job
