"""The reservation book: balances, spend and holds per account, decided atomically.

Admission asks the book to *reserve* a request's worst-case cost; the book says yes only when
``balance − holds`` covers it and no cap would be passed with it, and records the hold in the same
step. When the request's row and debit are committed, *settle* removes the hold and takes the
actual cost off the balance and onto the day's and month's spend, again in one step.

The book starts empty and is *loaded* from the database (the ledger sum and the day's and month's
spend) when it lacks an account. A load races with settlements that commit while it reads, so
every settle bumps the account's *generation*, and a load whose generation changed since it began
is refused and retried: the book never holds a figure older than a settlement it has seen.

:class:`InProcessBook` is exact within one process; ``book_redis.RedisBook`` (``MG_REDIS_URL``)
keeps the same state in Redis with one Lua script per step, exact across processes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal, Protocol

Status = Literal["ok", "load", "credits", "daily", "monthly"]
# A hold whose request never settled (its process died) stops counting after this long.
HOLD_TTL = 900.0


@dataclass(frozen=True)
class AccountState:
    balance: int
    day_key: str
    day_spent: int
    month_key: str
    month_spent: int
    # The last grant or purchase (0 when none): its size sets the low-credit threshold.
    grant_id: int = 0
    grant_micros: int = 0


@dataclass(frozen=True)
class Verdict:
    status: Status
    # After the reservation (ok) or as it stood (refused): balance less holds, spend plus holds.
    available: int = 0
    day_spent: int = 0
    month_spent: int = 0
    # Seconds since the state was loaded (a refusal from old state is checked afresh).
    age: float = 0.0


@dataclass(frozen=True)
class Settled:
    before: int
    after: int
    grant_id: int
    grant_micros: int


class Book(Protocol):
    async def generation(self, developer_id: str) -> int: ...

    async def load(self, developer_id: str, generation: int, state: AccountState) -> bool:
        """Store ``state`` unless a settlement happened since ``generation`` was read."""
        ...

    async def reserve(
        self,
        developer_id: str,
        hold_id: str,
        amount: int,
        day_key: str,
        month_key: str,
        daily_cap: int | None,
        monthly_cap: int | None,
    ) -> Verdict: ...

    async def settle(
        self, developer_id: str, hold_id: str | None, amount: int, day_key: str, month_key: str
    ) -> Settled | None:
        """Drop the hold and book ``amount``; the balance before and after (None: not loaded)."""
        ...

    async def release(self, developer_id: str, hold_id: str) -> None: ...

    async def refresh(self, developer_id: str) -> None:
        """Forget the account so the next reservation loads it afresh."""
        ...

    async def invalidate(self, developer_id: str) -> None:
        """:meth:`refresh`, and fail the loads in flight (the ledger changed outside settle)."""
        ...

    async def close(self) -> None: ...


def judge(
    state: AccountState,
    held: int,
    amount: int,
    day_key: str,
    month_key: str,
    daily_cap: int | None,
    monthly_cap: int | None,
) -> Verdict:
    """The reservation rule both books apply (the Lua script is its transcription)."""
    day = state.day_spent if state.day_key == day_key else 0
    month = state.month_spent if state.month_key == month_key else 0
    available = state.balance - held
    if available <= 0 or available < amount:
        return Verdict("credits", available, day + held, month + held)
    if daily_cap is not None and day + held + amount > daily_cap:
        return Verdict("daily", available, day + held, month + held)
    if monthly_cap is not None and month + held + amount > monthly_cap:
        return Verdict("monthly", available, day + held, month + held)
    return Verdict("ok", available - amount, day + held + amount, month + held + amount)


class InProcessBook:
    """Exact within one process: each step runs without an ``await`` inside it."""

    def __init__(self, state_ttl: float = 5.0) -> None:
        # Without Redis another process (an operator's grant) can change the ledger unseen:
        # an account is read afresh this often, and a refusal from older state is rechecked.
        self.state_ttl = state_ttl
        self._states: dict[str, tuple[float, AccountState]] = {}
        self._holds: dict[str, dict[str, tuple[int, float]]] = {}
        self._generations: dict[str, int] = {}

    async def generation(self, developer_id: str) -> int:
        return self._generations.get(developer_id, 0)

    async def load(self, developer_id: str, generation: int, state: AccountState) -> bool:
        if self._generations.get(developer_id, 0) != generation:
            return False
        if len(self._states) > 100_000:
            self._states.clear()
        self._states[developer_id] = (time.monotonic(), state)
        return True

    def _held(self, developer_id: str) -> dict[str, tuple[int, float]]:
        holds = self._holds.setdefault(developer_id, {})
        now = time.monotonic()
        for hold_id in [h for h, (_, expires) in holds.items() if expires <= now]:
            del holds[hold_id]
        return holds

    async def reserve(
        self,
        developer_id: str,
        hold_id: str,
        amount: int,
        day_key: str,
        month_key: str,
        daily_cap: int | None,
        monthly_cap: int | None,
    ) -> Verdict:
        loaded = self._states.get(developer_id)
        age = time.monotonic() - loaded[0] if loaded is not None else 0.0
        if loaded is None or age > self.state_ttl:
            return Verdict("load")
        holds = self._held(developer_id)
        held = sum(amount for amount, _ in holds.values())
        verdict = judge(loaded[1], held, amount, day_key, month_key, daily_cap, monthly_cap)
        if verdict.status == "ok":
            holds[hold_id] = (amount, time.monotonic() + HOLD_TTL)
        return Verdict(verdict.status, verdict.available, verdict.day_spent, verdict.month_spent, age)

    async def settle(
        self, developer_id: str, hold_id: str | None, amount: int, day_key: str, month_key: str
    ) -> Settled | None:
        if hold_id is not None:
            self._holds.get(developer_id, {}).pop(hold_id, None)
        self._generations[developer_id] = self._generations.get(developer_id, 0) + 1
        loaded = self._states.get(developer_id)
        if loaded is None:
            return None
        s = loaded[1]
        day = (s.day_spent if s.day_key == day_key else 0) + amount
        month = (s.month_spent if s.month_key == month_key else 0) + amount
        after = AccountState(s.balance - amount, day_key, day, month_key, month, s.grant_id, s.grant_micros)
        self._states[developer_id] = (loaded[0], after)
        return Settled(s.balance, after.balance, s.grant_id, s.grant_micros)

    async def release(self, developer_id: str, hold_id: str) -> None:
        self._holds.get(developer_id, {}).pop(hold_id, None)

    async def refresh(self, developer_id: str) -> None:
        self._states.pop(developer_id, None)

    async def invalidate(self, developer_id: str) -> None:
        self._states.pop(developer_id, None)
        self._generations[developer_id] = self._generations.get(developer_id, 0) + 1

    async def close(self) -> None:
        self._states.clear()
