"""Balances: the exact sum of the ledger, and the cached figure admission reads."""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import partial

from local_gateway.services.billing.request_log import LogEntry
from local_gateway.services.core.singleflight import SingleFlight
from local_gateway.store import ledger
from local_gateway.store.db import Database

# Admission reads the credit ledger at most this often per developer (see Balances.for_admission).
BALANCE_CACHE_TTL = 5.0


class Balances:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._cached: dict[str, tuple[float, int]] = {}
        # An entry that expires under load is read once, not once per request in flight.
        self._reads: SingleFlight[str, int] = SingleFlight()

    async def exact(self, developer_id: str) -> int:
        """The balance in micro-dollars: the sum of the developer's ledger, read now."""
        async with self.db.read() as session:
            return await ledger.balance(session, developer_id)

    async def for_admission(self, developer_id: str) -> int:
        """The balance that admits a paid request, without a ledger sum on every request.

        Summing the ledger costs more as it grows, so the sum is cached for
        ``BALANCE_CACHE_TTL`` and the charges this process commits are subtracted as they land
        (:meth:`note_committed`). A balance that would refuse is always read afresh, so a
        top-up counts at once; charges made by other processes count within the TTL.
        """
        cached = self._cached.get(developer_id)
        if cached is not None and cached[0] > time.monotonic() and cached[1] > 0:
            return cached[1]
        return await self._reads.run(developer_id, partial(self._read, developer_id))

    async def _read(self, developer_id: str) -> int:
        balance = await self.exact(developer_id)
        if len(self._cached) > 10_000:
            self._cached.clear()
        self._cached[developer_id] = (time.monotonic() + BALANCE_CACHE_TTL, balance)
        return balance

    def note_committed(self, entries: Sequence[LogEntry]) -> None:
        """Request-log rows just committed by this process: their debits leave the cached sums."""
        for entry in entries:
            if not entry.charge_micros:
                continue
            cached = self._cached.get(entry.developer_id)
            if cached is not None:
                self._cached[entry.developer_id] = (cached[0], cached[1] - entry.charge_micros)

    def forget(self, developer_id: str) -> None:
        """Drop the cached sum (an entry was added outside the request log)."""
        self._cached.pop(developer_id, None)
