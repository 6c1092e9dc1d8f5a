"""A developer's own spend limits (``GET/PUT /v1/billing/spend-limit``), read through a short cache."""

from __future__ import annotations

import time

from local_gateway.services.core.clock import Clock
from local_gateway.services.core.singleflight import SingleFlight
from local_gateway.store import spend
from local_gateway.store.db import Database

# Another process's change of a limit counts within this many seconds; this process's at once.
LIMITS_CACHE_TTL = 5.0


class SpendLimits:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._cache: dict[str, tuple[float, tuple[int | None, int | None]]] = {}
        # When the entry expires, the requests in flight for the developer share one read.
        self._reads: SingleFlight[str, tuple[int | None, int | None]] = SingleFlight()
        self._version = 0

    async def get(self, developer_id: str) -> tuple[int | None, int | None]:
        """``(daily, monthly)`` caps in micro-dollars; None where the developer set none."""
        cached = self._cache.get(developer_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        return await self._reads.run(developer_id, lambda: self._read(developer_id))

    async def _read(self, developer_id: str) -> tuple[int | None, int | None]:
        version = self._version
        async with self.db.read() as session:
            limits = await spend.get_limits(session, developer_id)
        if len(self._cache) > 10_000:
            self._cache.clear()
        if version == self._version:  # else a set() in this process has the newer value
            self._cache[developer_id] = (time.monotonic() + LIMITS_CACHE_TTL, limits)
        return limits

    async def set(self, developer_id: str, daily: int | None, monthly: int | None) -> None:
        for name, value in (("daily", daily), ("monthly", monthly)):
            if value is not None and value < 0:
                raise ValueError(f"{name}_cap_usd must be 0 or more, or null to remove the cap")
        async with self.db.write() as session:
            await spend.set_limits(session, developer_id, daily, monthly, self.clock.now())
        self._version += 1
        self._cache[developer_id] = (time.monotonic() + LIMITS_CACHE_TTL, (daily, monthly))
