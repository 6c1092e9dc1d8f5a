"""When each key was last used, written at most once a minute per key and off the request path.

Authentication only notes the moment in memory; a background task writes what changed in one
transaction, so a busy key costs one UPDATE a minute, not one per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from local_gateway.services.core.clock import Clock
from local_gateway.store import accounts
from local_gateway.store.db import Database

log = logging.getLogger("mg.gateway.keys")

FLUSH_SECONDS = 60.0


class KeyUsage:
    def __init__(self, db: Database, clock: Clock, interval: float = FLUSH_SECONDS) -> None:
        self.db = db
        self.clock = clock
        self.interval = interval
        self._pending: dict[str, datetime] = {}
        self._written: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None

    def note(self, key_id: str) -> None:
        now = self.clock.time()
        last = self._written.get(key_id)
        if last is not None and now - last < self.interval:
            return
        self._written[key_id] = now
        self._pending[key_id] = self.clock.now()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(min(self.interval, 5.0))
            try:
                await self.flush()
            except Exception:  # a missed write only makes last_used_at a minute staler
                log.exception("could not record when keys were last used")

    async def flush(self) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        async with self.db.write() as session:
            await accounts.touch_keys(session, pending)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(Exception):
            await self.flush()
