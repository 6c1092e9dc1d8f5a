"""Property: whatever happens to requests, grants and caps, the money adds up to the micro-dollar.

Hypothesis drives the real billing services (admission, the book, the meter and its group-commit
writer) on a real SQLite database: requests that finish, stream, are interrupted by the client,
fail over to a dearer or cheaper model, or fail; grants, corrections and caps in between, with
several requests in flight at once. After every step: no request started past the balance or a
cap (counting what the requests in flight hold), and at the end the ledger's balance is the
grants less the request log's costs, exactly, and never below zero.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from local_gateway.providers.base import ModelInfo, Usage
from local_gateway.services.accounts.keys import KeyService, Principal
from local_gateway.services.billing.book import InProcessBook
from local_gateway.services.billing.context import RequestContext
from local_gateway.services.billing.money import cost_micros
from local_gateway.services.billing.service import Billing
from local_gateway.services.core.clock import Clock
from local_gateway.store.db import Database
from mg.errors import CreditsExhaustedError, MonthlyCapExceededError, SpendCapExceededError
from tests.support.gateway_process import query_database

CHEAP = ModelInfo("deepseek-chat", "deepseek", "deepseek-chat", 128_000, 8192, 0.14, 0.28)
DEAR = ModelInfo("gpt-4o", "openai", "gpt-4o", 128_000, 16_384, 2.5, 10.0)
PLAN = (CHEAP, DEAR)  # a request may fail over from either to the other

start_op = st.tuples(
    st.just("start"),
    st.integers(1, 60_000),  # prompt tokens
    st.integers(1, 8_000),  # max_tokens
    st.sampled_from(["complete", "stream", "interrupt", "failover", "fail"]),
    st.floats(0.0, 1.0),  # share of max_tokens produced
)
finish_op = st.tuples(st.just("finish"), st.integers(0, 9))
grant_op = st.tuples(st.just("grant"), st.integers(-2_000_000, 3_000_000))
cap_op = st.tuples(
    st.just("cap"),
    st.one_of(st.none(), st.integers(0, 4_000_000)),
    st.one_of(st.none(), st.integers(0, 8_000_000)),
)
ops = st.lists(st.one_of(start_op, start_op, finish_op, grant_op, cap_op), min_size=1, max_size=40)


@dataclass
class InFlight:
    ctx: RequestContext
    prompt: int
    max_tokens: int
    kind: str
    share: float
    worst: int


def _worst(prompt: int, max_tokens: int) -> int:
    return max(cost_micros(m, prompt, max_tokens) for m in PLAN)


async def _scenario(url: str, steps: list[tuple]) -> None:  # type: ignore[type-arg]
    db = Database(url)
    clock = Clock()
    billing = Billing.start(db, clock, book=InProcessBook())
    email = f"prop-{secrets.token_hex(6)}@example.com"
    new = await KeyService(db, clock).create_key(email, tier="payg", environment="live")
    principal = Principal(new.key, new.developer)
    dev = new.developer.id
    grants = 5_000_000  # the welcome credit
    daily_cap: int | None = 5_000_000  # payg's tier cap
    monthly_cap: int | None = None
    tier_cap = 5_000_000
    in_flight: list[InFlight] = []
    floor = 0
    try:
        for n, step in enumerate(steps):
            if step[0] == "grant":
                amount = step[1] or 1
                await billing.credits.grant(email, amount)
                await billing.book.invalidate(dev)
                grants += amount
                after = int(query_database(db_path(url), _BALANCE, dev)[0]["b"])
                floor = min(floor, after)
            elif step[0] == "cap":
                await billing.limits.set(dev, step[1], step[2])
                daily_cap = min(c for c in (tier_cap, step[1]) if c is not None)
                monthly_cap = step[2]
            elif step[0] == "start":
                _, prompt, max_tokens, kind, share = step
                ctx = RequestContext(principal, f"req_{n}", "/v1/chat/completions")
                worst = _worst(prompt, max_tokens)
                balance = int(query_database(db_path(url), _BALANCE, dev)[0]["b"])
                spent = int(query_database(db_path(url), _SPENT, dev)[0]["s"])
                held = sum(f.worst for f in in_flight)
                try:
                    await billing.admission.reserve(ctx, worst)
                except CreditsExhaustedError:
                    assert balance - held <= 0 or balance - held < worst
                    continue
                except SpendCapExceededError:
                    assert daily_cap is not None and spent + held + worst > daily_cap
                    continue
                except MonthlyCapExceededError:
                    assert monthly_cap is not None and spent + held + worst > monthly_cap
                    continue
                # Admitted: it fits the balance and every cap beside what is in flight.
                assert balance - held >= worst and balance - held > 0
                assert daily_cap is None or spent + held + worst <= daily_cap
                assert monthly_cap is None or spent + held + worst <= monthly_cap
                in_flight.append(InFlight(ctx, prompt, max_tokens, kind, share, worst))
            elif in_flight:
                await _finish(billing, in_flight.pop(step[1] % len(in_flight)))
        while in_flight:
            await _finish(billing, in_flight.pop())
        await billing.request_log.drain()
    finally:
        await billing.close()
        await db.close()
    path = db_path(url)
    balance = int(query_database(path, _BALANCE, dev)[0]["b"])
    logged = int(
        query_database(
            path, "SELECT COALESCE(SUM(cost_micros), 0) AS c FROM request_log WHERE developer_id = $1", dev
        )[0]["c"]
    )
    daily = int(
        query_database(
            path, "SELECT COALESCE(SUM(cost_micros), 0) AS c FROM usage_daily WHERE developer_id = $1", dev
        )[0]["c"]
    )
    assert balance == grants - logged
    assert daily == logged
    # A correction can take a balance below zero by itself; spending never takes it further.
    assert balance >= min(0, floor)


async def _finish(billing: Billing, f: InFlight) -> None:
    produced = int(f.max_tokens * f.share)
    meter = billing.meter
    if f.kind == "fail":
        await billing.admission.release(f.ctx)
        return
    model = DEAR if f.kind == "failover" else CHEAP
    usage = Usage(f.prompt, produced)
    if f.kind == "interrupt":
        meter.record_later(f.ctx, model, "p", usage, status=499, error_code="CLIENT_CLOSED", stream=True)
        await billing.request_log.drain()
    else:
        await meter.record(f.ctx, model, "p", usage, stream=f.kind == "stream")


def db_path(url: str):  # type: ignore[no-untyped-def]
    from pathlib import Path

    return Path(url.removeprefix("sqlite:///"))


_BALANCE = "SELECT COALESCE(SUM(amount_micros), 0) AS b FROM credit_ledger WHERE developer_id = $1"
_SPENT = "SELECT COALESCE(SUM(cost_micros), 0) AS s FROM usage_daily WHERE developer_id = $1"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=ops)
def test_balance_is_grants_less_logged_costs(billing_db: str, steps: list[tuple]) -> None:  # type: ignore[type-arg]
    asyncio.run(_scenario(billing_db, steps))
