"""Credits: the welcome grant of a new account, operator grants and corrections, expirations,
and the figures an account's balance is made of."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from local_gateway.services.core.clock import Clock
from local_gateway.store import accounts, ledger, usage
from local_gateway.store.db import Database, Session

# What a new developer account starts with: $5.00.
WELCOME_CREDIT_MICROS = 5_000_000
GRANT_REASONS = ("grant", "purchase", "correction", "adjustment")


async def grant_welcome(session: Session, developer_id: str, now: datetime) -> None:
    """Book the welcome credit, in the transaction that creates the developer."""
    await ledger.add_entry(session, developer_id, WELCOME_CREDIT_MICROS, "welcome", now)


@dataclass(frozen=True)
class Account:
    """What admission loads: the balance, today's and this month's spend, the last grant."""

    balance: int
    day_spent: int
    month_spent: int
    grant_id: int
    grant_micros: int


@dataclass(frozen=True)
class Expiring:
    amount_micros: int
    expires_at: datetime
    grant_id: int


@dataclass(frozen=True)
class Granted:
    developer_id: str
    entry_id: int
    balance: int


class Credits:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def grant(
        self,
        email: str,
        amount_micros: int,
        note: str | None = None,
        expires_at: datetime | None = None,
        reason: str | None = None,
    ) -> Granted:
        """Append a ledger entry for the developer with ``email``: a ``grant`` (or, negative, a
        ``correction``), with the operator's ``note``; ``reason`` overrides the kind."""
        reason = reason or ("grant" if amount_micros > 0 else "correction")
        if reason not in GRANT_REASONS:
            raise ValueError(f"reason must be one of {', '.join(GRANT_REASONS)}")
        if note is not None and len(note) > 200:
            raise ValueError("the reason text takes at most 200 characters")
        if amount_micros == 0:
            raise ValueError("the amount must not be zero")
        if expires_at is not None and amount_micros < 0:
            raise ValueError("only a grant (a positive amount) can expire")
        now = self.clock.now()
        if expires_at is not None and expires_at <= now:
            raise ValueError("the expiry must be in the future")
        async with self.db.write() as session:
            developer = await accounts.get_developer_by_email(session, email.strip().lower())
            if developer is None:
                raise ValueError(f"no developer with email {email!r}")
            entry_id = await ledger.add_entry(
                session, developer.id, amount_micros, reason, now, expires_at=expires_at, note=note
            )
            return Granted(developer.id, entry_id, await ledger.balance(session, developer.id))

    async def add(self, email: str, amount_micros: int, note: str | None = None) -> int:
        """:meth:`grant` that returns the new balance in micro-dollars (``admin add-credit``)."""
        return (await self.grant(email, amount_micros, note, reason="adjustment")).balance

    async def expire_due(self, developer_id: str, now: datetime) -> bool:
        """Book an ``expiration`` for every grant past its expiry; whether any was booked.

        What lapses is what is left of the grant when it expires, with usage spent from the
        credit that expires soonest: the balance then, less the credit that outlasts it, at
        most the grant itself.
        """
        async with self.db.read() as session:
            due = [
                g
                for g in await ledger.expiring_grants(session, developer_id)
                if g.expires_at and g.expires_at <= now
            ]
        if not due:
            return False
        async with self.db.write() as session:
            for grant in due:
                assert grant.expires_at is not None
                left = await _remaining(session, developer_id, grant, grant.expires_at)
                await ledger.add_expiration(session, developer_id, grant, left)
        return True

    async def account(self, developer_id: str, now: datetime) -> Account:
        day = now.date()
        async with self.db.read() as session:
            balance = await ledger.balance(session, developer_id)
            day_spent = await usage.spent_since(session, developer_id, day)
            month_spent = await usage.spent_since(session, developer_id, day.replace(day=1))
            grant = await ledger.last_grant(session, developer_id)
        return Account(
            balance, day_spent, month_spent, grant.id if grant else 0, grant.amount_micros if grant else 0
        )

    async def expiring(self, developer_id: str, now: datetime) -> list[Expiring]:
        """Grants still to expire, with what would lapse of each if nothing more were spent."""
        async with self.db.read() as session:
            out = []
            for grant in await ledger.expiring_grants(session, developer_id):
                assert grant.expires_at is not None
                if grant.expires_at > now:
                    left = await _remaining(session, developer_id, grant, now)
                    out.append(Expiring(left, grant.expires_at, grant.id))
            return out

    async def entries(self, developer_id: str, limit: int = 20) -> list[dict[str, object]]:
        async with self.db.read() as session:
            return await ledger.entries_of(session, developer_id, limit)


async def _remaining(session: Session, developer_id: str, grant: ledger.Grant, at: datetime) -> int:
    balance = await ledger.balance(session, developer_id, at)
    outlasting = await ledger.outlasting_credit(session, developer_id, grant, at)
    return max(0, min(grant.amount_micros, balance - outlasting))
