"""Credits: the welcome grant of a new account and the operator's ledger adjustments."""

from __future__ import annotations

from datetime import datetime

from local_gateway.services.core.clock import Clock
from local_gateway.store import accounts, ledger
from local_gateway.store.db import Database, Session

# What a new developer account starts with: $5.00.
WELCOME_CREDIT_MICROS = 5_000_000


async def grant_welcome(session: Session, developer_id: str, now: datetime) -> None:
    """Book the welcome credit, in the transaction that creates the developer."""
    await ledger.add_entry(session, developer_id, WELCOME_CREDIT_MICROS, "welcome", now)


class Credits:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def add(self, email: str, amount_micros: int, reason: str = "adjustment") -> int:
        """Append a ledger entry for the developer with ``email`` (negative to debit); returns
        the new balance in micro-dollars."""
        async with self.db.write() as session:
            developer = await accounts.get_developer_by_email(session, email.strip().lower())
            if developer is None:
                raise ValueError(f"no developer with email {email!r}")
            await ledger.add_entry(session, developer.id, amount_micros, reason, self.clock.now())
            return await ledger.balance(session, developer.id)
