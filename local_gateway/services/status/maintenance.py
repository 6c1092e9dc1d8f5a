"""Maintenance mode: a row in the database, so that every gateway process (and every host) sees
the operator's switch. Each process re-reads it at most every ``ttl`` seconds: a request pays for
no query, and the switch reaches everyone within that time."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime

from local_gateway.services.core.clock import Clock
from local_gateway.services.core.singleflight import SingleFlight
from local_gateway.store import status as store
from local_gateway.store.db import Database

log = logging.getLogger("mg.gateway.status")
DEFAULT_MESSAGE = "The gateway is under scheduled maintenance."


@dataclass(frozen=True)
class MaintenanceState:
    message: str
    eta: datetime | None
    started_at: datetime


class MaintenanceSwitch:
    def __init__(self, db: Database, clock: Clock, ttl: float = 2.0) -> None:
        self.db = db
        self.clock = clock
        self.ttl = ttl
        self._cached: MaintenanceState | None = None
        self._read_at: float | None = None
        # The requests in flight when the cached answer expires share one read of the row.
        self._reads: SingleFlight[str, MaintenanceState | None] = SingleFlight()
        # Bumped by this process's own switch: a read begun before it must not cache the old row.
        self._version = 0

    async def current(self) -> MaintenanceState | None:
        if self._read_at is not None and time.monotonic() - self._read_at < self.ttl:
            return self._cached
        return await self._reads.run("maintenance", self._read)

    async def _read(self) -> MaintenanceState | None:
        now, version = time.monotonic(), self._version
        try:
            row = await store.maintenance(self.db)
        except Exception:  # the database is down: keep what we knew, health reports the outage
            log.warning("could not read the maintenance switch", exc_info=True)
            self._read_at = now
            return self._cached
        state = MaintenanceState(row.message, row.eta, row.started_at) if row else None
        if version == self._version:
            self._cached, self._read_at = state, now
        return state

    async def turn_on(self, eta: datetime | None, message: str | None = None) -> MaintenanceState:
        row = await store.set_maintenance(self.db, message or DEFAULT_MESSAGE, eta, self.clock.now())
        self._version += 1
        self._read_at = None
        return MaintenanceState(row.message, row.eta, row.started_at)

    async def turn_off(self) -> bool:
        cleared = await store.clear_maintenance(self.db)
        self._version += 1
        self._read_at = None
        return cleared
