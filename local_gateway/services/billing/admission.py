"""Admission: reserve a request's worst-case cost before anything is sent upstream.

:meth:`Admission.reserve` runs once per request before the first upstream call. It asks the book
(:mod:`.book`) to set the worst case aside against the balance, the tier's daily cap and the
developer's own daily and monthly caps, atomically, and leaves the hold in the request's context;
:meth:`~.metering.Meter.record` settles it to the actual cost once the row is committed, and
:meth:`release` gives it back when the request failed before anything was recorded.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from local_gateway.services.accounts.tiers import load_tiers
from local_gateway.services.billing.book import AccountState, Book, Verdict
from local_gateway.services.billing.context import Hold, RequestContext
from local_gateway.services.billing.credits import Credits
from local_gateway.services.billing.limits import SpendLimits
from local_gateway.services.billing.money import format_usd, usd_to_micros
from local_gateway.services.core.clock import Clock
from local_gateway.services.core.ids import SequentialIds
from local_gateway.services.core.singleflight import SingleFlight
from mg.errors import (
    CreditsExhaustedError,
    MonthlyCapExceededError,
    ServiceUnavailableError,
    SpendCapExceededError,
)

log = logging.getLogger("mg.gateway.billing")
# A refusal decided on state older than this is checked against the database once more, so a
# top-up made by another process (an operator's grant) counts at once.
RECHECK_AFTER = 0.2
_LOAD_ATTEMPTS = 8
# A hold names one reservation in the book (in Redis, shared by every process): unique, not secret.
_HOLD_IDS = SequentialIds("hold_")


def day_key(at: datetime) -> str:
    return _period_keys(at.astimezone(UTC).date())[0]


def month_key(at: datetime) -> str:
    return _period_keys(at.astimezone(UTC).date())[1]


@lru_cache(maxsize=8)
def _period_keys(day: date) -> tuple[str, str]:
    # Every request asks for today's keys, twice (reserve and settle): format them once a day.
    return day.isoformat(), day.isoformat()[:7]


def next_midnight(at: datetime) -> datetime:
    day = at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day + timedelta(days=1)


def next_month(at: datetime) -> datetime:
    start = at.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (start + timedelta(days=32)).replace(day=1)


@lru_cache(maxsize=32)
def _tier_cap(tier: str) -> int | None:
    """The tier's daily cap in micro-dollars (the tiers are fixed for the life of the process)."""
    cap_usd = load_tiers()[tier].daily_cap_usd
    return usd_to_micros(cap_usd) if cap_usd is not None else None


@dataclass(frozen=True)
class Caps:
    """The caps a request counts against, in micro-dollars (None: no cap)."""

    daily: int | None
    monthly: int | None
    # Whose daily cap is the lower: the tier's or the developer's own.
    daily_is_tier: bool


class Admission:
    def __init__(
        self,
        book: Book,
        credits: Credits,
        limits: SpendLimits,
        clock: Clock,
        commit_lock: asyncio.Lock | None = None,
    ) -> None:
        self.book = book
        self.credits = credits
        self.limits = limits
        self.clock = clock
        # The request log's commit lock (see RequestLogWriter): a load never sees a committed
        # batch whose settlement has not reached the book, so within a process it is never
        # refused for racing one (under steady load a settlement lands every few milliseconds).
        self.commit_lock = commit_lock or asyncio.Lock()
        # When an account's state expires, the requests in flight share one read of it.
        self._loads: SingleFlight[str, None] = SingleFlight()

    async def caps(self, developer_id: str, tier: str) -> Caps:
        tier_cap = _tier_cap(tier)
        own_daily, own_monthly = await self.limits.get(developer_id)
        daily = min((c for c in (tier_cap, own_daily) if c is not None), default=None)
        return Caps(daily, own_monthly, daily is not None and daily == tier_cap and own_daily != daily)

    async def load(self, developer_id: str) -> None:
        """Read the account from the database into the book (unless a settlement raced it);
        concurrent callers for one account share the read."""
        await self._loads.run(developer_id, lambda: self._load(developer_id))

    async def _load(self, developer_id: str) -> None:
        async with self.commit_lock:
            generation = await self.book.generation(developer_id)
            now = self.clock.now()
            if await self.credits.expire_due(developer_id, now):
                await self.book.invalidate(developer_id)
                generation = await self.book.generation(developer_id)
            account = await self.credits.account(developer_id, now)
            state = AccountState(
                account.balance, day_key(now), account.day_spent, month_key(now), account.month_spent,
                account.grant_id, account.grant_micros,
            )  # fmt: skip
            await self.book.load(developer_id, generation, state)

    async def expire(self, developer_id: str) -> None:
        """Book the expirations that are due (and make the book read the account afresh)."""
        if await self.credits.expire_due(developer_id, self.clock.now()):
            await self.book.invalidate(developer_id)

    async def reserve(self, ctx: RequestContext, amount: int) -> None:
        """Set ``amount`` (the worst case) aside for ``ctx``, or refuse with 402 / 429."""
        if not ctx.billed:
            return
        developer_id = ctx.developer_id
        caps = await self.caps(developer_id, ctx.principal.tier)
        hold_id = _HOLD_IDS.next()
        rechecked = False
        for _ in range(_LOAD_ATTEMPTS):
            now = self.clock.now()
            verdict = await self.book.reserve(
                developer_id, hold_id, amount, day_key(now), month_key(now), caps.daily, caps.monthly
            )
            if verdict.status == "ok":
                ctx.slot.hold = Hold(hold_id, amount)
                return
            if verdict.status == "load":
                await self.load(developer_id)
                continue
            if verdict.age > RECHECK_AFTER and not rechecked:
                rechecked = True
                await self.book.refresh(developer_id)
                continue
            raise self._refusal(verdict, amount, caps, now)
        raise ServiceUnavailableError(
            "The gateway could not read this account's balance; too many concurrent changes.",
            retry_after=1,
        )

    async def release(self, ctx: RequestContext) -> None:
        """Give back a reservation nothing was recorded against (the request failed early)."""
        hold = ctx.slot.take()
        if hold is not None:
            await self.book.release(ctx.developer_id, hold.id)

    def _refusal(self, verdict: Verdict, amount: int, caps: Caps, now: datetime) -> Exception:
        worst = _usd(amount)
        if verdict.status == "credits":
            return CreditsExhaustedError(
                f"The credit balance ({_usd(max(verdict.available, 0))} available) does not "
                f"cover this request's worst-case cost ({worst})."
                + (" Lower max_tokens to reserve less." if verdict.available > 0 else "")
            )
        if verdict.status == "daily":
            reset = next_midnight(now)
            assert caps.daily is not None
            whose = "tier's daily cap" if caps.daily_is_tier else "daily spend cap"
            return SpendCapExceededError(
                f"This request (up to {worst}) would pass the {whose} of {format_usd(caps.daily)}: "
                f"{format_usd(verdict.day_spent)} spent or reserved today.",
                retry_after=max(1, int((reset - now).total_seconds())),
                reset_at=reset,
            )
        reset = next_month(now)
        assert caps.monthly is not None
        return MonthlyCapExceededError(
            f"This request (up to {worst}) would pass the monthly spend cap of "
            f"{format_usd(caps.monthly)}: {format_usd(verdict.month_spent)} spent or reserved this month.",
            retry_after=max(1, int((reset - now).total_seconds())),
            reset_at=reset,
        )


def _usd(micros: int) -> str:
    # Cents hide what matters below a cent: $0.000282 is not $0.00.
    return format_usd(micros) if abs(micros) >= 10_000 or micros == 0 else f"${micros / 1_000_000:.6f}"
