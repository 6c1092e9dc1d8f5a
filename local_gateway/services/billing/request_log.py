"""The request log, written with group commit (:class:`~.metering.Meter` is its one caller).

Every completion writes one row. A handler that must not answer before its row is durable
awaits :meth:`RequestLogWriter.record`. One writer task commits the rows: a row that arrives
while a batch is committing goes into the next batch, so under load batches grow by themselves
(acknowledging after commit does not cost one commit per request), and a lone row on an idle
gateway is committed at once instead of waiting for company.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from local_gateway.store import request_log as request_rows
from local_gateway.store.db import Database
from local_gateway.store.events import NewEvent

log = logging.getLogger("mg.gateway.requestlog")
MAX_BATCH = 500


@dataclass
class LogEntry:
    request_id: str
    developer_id: str
    key_id: str
    endpoint: str
    status: int
    created_at: datetime
    model: str | None = None
    provider: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_micros: int = 0
    latency_ms: float = 0.0
    error_code: str | None = None
    stream: bool = False
    extra: dict[str, Any] | None = None
    # Debited from the credit ledger in the same transaction (live keys only), micro-dollars.
    charge_micros: int = 0
    # Outbox events the row causes (``store/events.py``), committed with it.
    events: list[NewEvent] = field(default_factory=list)
    # The reservation this row settles (admission's hold), and whether the key pays at all.
    hold_id: str | None = None
    billed: bool = False


class RequestLogWriter:
    def __init__(
        self,
        db: Database,
        interval: float = 0.0,
        on_commit: Callable[[Sequence[LogEntry]], Awaitable[None]] | None = None,
        commit_lock: asyncio.Lock | None = None,
    ) -> None:
        self.db = db
        # Extra time a batch waits for company before it commits (0: none, see the module doc).
        self.interval = interval
        # Runs after each batch commits and before its waiters are answered (settlement).
        self.on_commit = on_commit
        # Held from a batch's commit until its settlement is applied: an account read under the
        # same lock (admission's load) sees either both or neither, never a committed row whose
        # settlement is still to come (it would be counted twice).
        self.commit_lock = commit_lock or asyncio.Lock()
        self._pending: list[tuple[LogEntry, asyncio.Future[None] | None]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._busy = False

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="request-log-writer")

    async def record(self, entry: LogEntry) -> None:
        """Queue a row and return once it is committed."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((entry, future))
        self._wake.set()
        # No shield: a handler cancelled here cancels only its own future; the row stays queued
        # and is committed with its batch (the writer skips futures that are already done).
        await future

    def record_nowait(self, entry: LogEntry) -> None:
        """Queue a row without waiting (a stream whose client went away)."""
        self._pending.append((entry, None))
        self._wake.set()

    async def _run(self) -> None:
        while not (self._closing and not self._pending):
            if not self._pending:
                self._wake.clear()
                await self._wake.wait()
            # Handlers already scheduled in this turn of the loop join the batch either way.
            await asyncio.sleep(self.interval if self.interval and not self._closing else 0)
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            if batch:
                self._busy = True
                try:
                    await self._flush(batch)
                finally:
                    self._busy = False

    async def _flush(self, batch: list[tuple[LogEntry, asyncio.Future[None] | None]]) -> None:
        async with self.commit_lock:
            committed = await self._commit_and_settle(batch)
        if committed:
            for _, future in batch:
                if future is not None and not future.done():
                    future.set_result(None)

    async def _commit_and_settle(self, batch: list[tuple[LogEntry, asyncio.Future[None] | None]]) -> bool:
        try:
            entries = [entry for entry, _ in batch]
            await self.db.write_sync(lambda conn: request_rows.insert_batch(conn, entries))
        except Exception as exc:  # the waiting handlers answer 500; nothing is acknowledged
            log.exception("request log batch of %d rows failed", len(batch))
            for _, future in batch:
                if future is not None and not future.done():
                    future.set_exception(exc)
            return False
        if self.on_commit is not None:
            try:
                await self.on_commit(entries)
            except Exception:  # bookkeeping only: the rows are committed and are acknowledged
                log.exception("request log on_commit hook failed")
        return True

    async def drain(self) -> None:
        """Return once every row queued so far (also without waiting) is committed and settled."""
        while self._pending or self._busy:
            await asyncio.sleep(0.001)

    async def close(self) -> None:
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
