"""The reservation book (in process and in Redis), grant expiry and log retention."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from local_gateway.providers.base import ModelInfo, Usage
from local_gateway.services.accounts.keys import KeyService, Principal
from local_gateway.services.billing.book import AccountState, Book, InProcessBook
from local_gateway.services.billing.book_redis import RedisBook
from local_gateway.services.billing.context import RequestContext
from local_gateway.services.billing.metering import price
from local_gateway.services.billing.service import Billing
from local_gateway.services.core.clock import Clock
from local_gateway.store.db import Database

MODEL = ModelInfo("deepseek-chat", "deepseek", "deepseek-chat", 128_000, 8192, 0.14, 0.28)
STATE = AccountState(1_000, "2026-11-24", 0, "2026-11", 0, 7, 5_000)


@pytest.fixture(params=["memory", "redis"])
async def book(request: pytest.FixtureRequest) -> AsyncIterator[Book]:
    made: Book = (
        InProcessBook()
        if request.param == "memory"
        else RedisBook("redis://127.0.0.1:6379/0", f"mgt{secrets.token_hex(4)}:")
    )
    yield made
    await made.close()


async def test_reserve_settle_and_caps(book: Book) -> None:
    dev = "dev_book"
    verdict = await book.reserve(dev, "h1", 100, "2026-11-24", "2026-11", None, None)
    assert verdict.status == "load"
    assert await book.load(dev, await book.generation(dev), STATE)
    ok = await book.reserve(dev, "h1", 600, "2026-11-24", "2026-11", 1_000, None)
    assert (ok.status, ok.available, ok.day_spent) == ("ok", 400, 600)
    # The hold counts against the balance and the cap at once.
    assert (await book.reserve(dev, "h2", 500, "2026-11-24", "2026-11", None, None)).status == "credits"
    assert (await book.reserve(dev, "h2", 300, "2026-11-24", "2026-11", 800, None)).status == "daily"
    assert (await book.reserve(dev, "h2", 300, "2026-11-24", "2026-11", None, 850)).status == "monthly"
    settled = await book.settle(dev, "h1", 250, "2026-11-24", "2026-11")
    assert settled is not None and (settled.before, settled.after, settled.grant_id) == (1_000, 750, 7)
    again = await book.reserve(dev, "h3", 700, "2026-11-24", "2026-11", 1_000, None)
    assert (again.status, again.available, again.day_spent) == ("ok", 50, 950)
    await book.release(dev, "h3")
    # A new day starts from nothing spent.
    tomorrow = await book.reserve(dev, "h4", 700, "2026-11-25", "2026-11", 700, None)
    assert (tomorrow.status, tomorrow.day_spent) == ("ok", 700)


async def test_a_load_that_raced_a_settlement_is_refused(book: Book) -> None:
    dev = "dev_race"
    seen = await book.generation(dev)
    await book.settle(dev, None, 40, "2026-11-24", "2026-11")  # committed after the load read
    assert not await book.load(dev, seen, STATE)
    assert (await book.reserve(dev, "h", 1, "2026-11-24", "2026-11", None, None)).status == "load"
    assert await book.load(dev, await book.generation(dev), STATE)


async def test_a_concurrent_burst_takes_exactly_what_fits(book: Book) -> None:
    dev = "dev_burst"
    await book.load(dev, await book.generation(dev), STATE)
    verdicts = await asyncio.gather(
        *(book.reserve(dev, f"h{i}", 90, "2026-11-24", "2026-11", None, None) for i in range(30))
    )
    assert sum(v.status == "ok" for v in verdicts) == 11  # 11 × 90 ≤ 1000 < 12 × 90


@pytest.fixture
async def billing(billing_db: str) -> AsyncIterator[tuple[Billing, Clock, Principal, str]]:
    db = Database(billing_db)
    clock = Clock()
    made = Billing.start(db, clock, book=InProcessBook())
    email = f"exp-{secrets.token_hex(4)}@example.com"
    new = await KeyService(db, clock).create_key(email, tier="payg", environment="live")
    yield made, clock, Principal(new.key, new.developer), email
    await made.close()
    await db.close()


async def test_what_is_left_of_a_grant_expires_once(billing: tuple[Billing, Clock, Principal, str]) -> None:
    made, clock, principal, email = billing
    dev = principal.developer_id
    expires = clock.now() + timedelta(days=2)
    await made.credits.grant(email, 3_000_000, "jam prize", expires)
    ctx = RequestContext(principal, "req_exp", "/v1/chat/completions")
    await made.admission.reserve(ctx, 2_000_000)
    await made.meter.record(ctx, MODEL, "deepseek", Usage(5_000_000, 1_000_000))  # $0.98
    assert [e.amount_micros for e in await made.credits.expiring(dev, clock.now())] == [3_000_000 - 980_000]
    clock.advance(3 * 86_400)
    await made.admission.expire(dev)
    await made.admission.expire(dev)  # twice: booked once
    assert await made.balances.exact(dev) == 5_000_000
    entries = await made.credits.entries(dev)
    assert [(e["reason"], e["amount_micros"]) for e in entries][:1] == [("expiration", -2_020_000)]
    assert sum(1 for e in entries if e["reason"] == "expiration") == 1


async def test_pruning_keeps_usage_totals(billing: tuple[Billing, Clock, Principal, str]) -> None:
    made, _, principal, _ = billing
    ctx = RequestContext(principal, "req_old", "/v1/chat/completions")
    await made.admission.reserve(ctx, 10_000)
    await made.meter.record(ctx, MODEL, "deepseek", Usage(10, 10))
    before = await made.usage.report(principal.developer_id, 1)
    removed = await made.usage.prune(datetime.now(UTC) + timedelta(seconds=1))
    assert removed >= 1
    assert (await made.usage.logs(principal.developer_id, _query()))["data"] == []
    assert (await made.usage.report(principal.developer_id, 1))["totals"] == before["totals"]


def _query():  # type: ignore[no-untyped-def]
    from local_gateway.services.billing.usage import LogQuery

    return LogQuery(limit=10)


async def test_expiring_state_is_read_once_while_settlements_keep_landing(billing_db: str) -> None:
    """16 requests in flight, an account state that expires every 50 ms, a settlement every few
    milliseconds: every expiry costs one read of the account (not one per request in flight),
    no read is thrown away for racing a settlement, and the balance adds up exactly."""
    db = Database(billing_db)
    clock = Clock()
    made = Billing.start(db, clock, book=InProcessBook(state_ttl=0.05))
    try:
        email = f"herd-{secrets.token_hex(4)}@example.com"
        new = await KeyService(db, clock).create_key(email, environment="live")
        principal = Principal(new.key, new.developer)
        dev = principal.developer_id
        start = await made.balances.exact(dev)
        reads = 0
        account = made.credits.account

        async def counted(developer_id: str, now: datetime):  # type: ignore[no-untyped-def]
            nonlocal reads
            reads += 1
            return await account(developer_id, now)

        made.credits.account = counted  # type: ignore[method-assign]
        done = 0
        loop = asyncio.get_running_loop()
        until = loop.time() + 1.0

        async def player(n: int) -> None:
            nonlocal done
            i = 0
            while loop.time() < until:
                ctx = RequestContext(principal, f"req_herd_{n}_{i}", "/v1/chat/completions")
                await made.admission.reserve(ctx, 10_000)
                await made.meter.record(ctx, MODEL, "deepseek", Usage(100, 10))
                i += 1
                done += 1

        await asyncio.gather(*(player(n) for n in range(16)))
        cost = price(RequestContext(principal, "req_price", "/v1/chat/completions"), MODEL, Usage(100, 10))
        assert done > 50 and cost > 0
        # One read per expiry (about 20 in a second) plus the first; one per request would be `done`.
        assert reads <= 40, (reads, done)
        assert start - await made.balances.exact(dev) == done * cost
        # The book's own state (kept, not reloaded) agrees with the ledger to the micro-dollar.
        assert isinstance(made.book, InProcessBook)
        made.book.state_ttl = 3600.0
        left = start - done * cost
        verdict = await made.book.reserve(dev, "h_all", left + 1, "9999-12-31", "9999-12", None, None)
        assert verdict.status == "credits" and verdict.available == left
    finally:
        await made.close()
        await db.close()
