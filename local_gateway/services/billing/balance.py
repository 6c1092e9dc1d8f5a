"""Balances: the exact sum of the ledger (admission's running figures live in :mod:`.book`)."""

from __future__ import annotations

from local_gateway.store import ledger
from local_gateway.store.db import Database


class Balances:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def exact(self, developer_id: str) -> int:
        """The balance in micro-dollars: the sum of the developer's ledger, read now."""
        async with self.db.read() as session:
            return await ledger.balance(session, developer_id)
