"""Money across processes and over cut streams: two gateways sharing PostgreSQL and Redis never
serve more than the balance covers, and a stream the client drops is debited for what it produced."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from local_gateway.services.billing.money import cost_micros
from local_gateway.services.inference.catalog import load_catalog
from tests.gateway.billing.support import (
    MESSAGES,
    balance,
    live_account,
    logged_costs,
    set_balance,
    worst_case,
)
from tests.gateway.conftest import PROVIDERS, ROOT_BASES
from tests.support.fake_upstreams import FakeUpstream, Reply, Upstreams
from tests.support.gateway_process import GatewayProcess, running_gateway
from tests.support.slow_upstream import gateway_with_upstream

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def two_gateways(tmp_path: Path, pg_url: str) -> Iterator[tuple[GatewayProcess, GatewayProcess, Upstreams]]:
    upstreams = Upstreams({name: FakeUpstream().start() for name in PROVIDERS})
    env = upstreams.env(ROOT_BASES)
    env.update(MG_REDIS_URL=REDIS_URL, MG_REDIS_PREFIX=f"mgt{secrets.token_hex(4)}:")
    try:
        with ExitStack() as stack:
            # One after the other: the first migrates the shared database.
            a = stack.enter_context(running_gateway(tmp_path / "a", pg_url, env))
            b = stack.enter_context(running_gateway(tmp_path / "b", pg_url, env))
            yield a, b, upstreams
    finally:
        upstreams.stop()


def test_two_processes_on_postgres_and_redis_share_one_balance(
    two_gateways: tuple[GatewayProcess, GatewayProcess, Upstreams],
) -> None:
    a, b, upstreams = two_gateways
    upstreams.fakes["deepseek"].fail("openai.chat", Reply(fixture="openai/chat.json", delay=1.5))
    account = live_account(a)
    worst = worst_case("deepseek-chat", 100)
    start = 10 * worst + worst // 2
    set_balance(a, account["email"], account["developer_id"], start)
    body = {"model": "deepseek-chat", "messages": MESSAGES, "max_tokens": 100}
    headers = {"Authorization": f"Bearer {account['api_key']}"}

    async def run() -> list[int]:
        async with (
            httpx.AsyncClient(base_url=a.url, headers=headers, timeout=60) as ca,
            httpx.AsyncClient(base_url=b.url, headers=headers, timeout=60) as cb,
        ):
            answers = await asyncio.gather(
                *(c.post("/v1/chat/completions", json=body) for _ in range(25) for c in (ca, cb))
            )
        return [r.status_code for r in answers]

    statuses = asyncio.run(run())
    assert statuses.count(200) == 10 and statuses.count(402) == 40
    developer = account["developer_id"]
    assert balance(a, developer) == start - logged_costs(a, developer) >= 0
    # Both processes served some: the budget was shared, not doubled.
    served = a.query(
        "SELECT COUNT(*) AS n FROM request_log WHERE developer_id = $1 AND status = 200", developer
    )
    assert served[0]["n"] == 10


def test_a_stream_cut_after_its_first_chunk_is_debited_for_what_it_produced(tmp_path: Path) -> None:
    with gateway_with_upstream(tmp_path, words=40, delay=0.1) as (gw, upstream):
        account = live_account(gw)
        body = {"model": "deepseek-chat", "messages": MESSAGES, "stream": True}
        with (
            gw.client(account["api_key"]) as client,
            client.stream("POST", "/v1/chat/completions", json=body) as r,
        ):
            request_id = r.headers["X-Request-Id"]
            for line in r.iter_lines():
                if '"content":"tok' in line.replace(" ", ""):
                    break  # the first word arrived: hang up
        assert upstream.wait_for("disconnected")
        deadline = time.monotonic() + 10
        rows: list[dict] = []  # type: ignore[type-arg]
        while time.monotonic() < deadline and not rows:
            rows = gw.query("SELECT * FROM request_log WHERE request_id = $1", request_id)
            time.sleep(0.05)
        row = rows[0]
        assert row["status"] == 499 and row["error_code"] == "CLIENT_CLOSED"
        assert 1 <= row["completion_tokens"] < 40
        model = load_catalog().get("deepseek-chat")
        assert model is not None
        assert row["cost_micros"] == cost_micros(model, row["prompt_tokens"], row["completion_tokens"]) > 0
        developer = account["developer_id"]
        debit = gw.query(
            "SELECT amount_micros FROM credit_ledger WHERE request_id = $1 AND reason = 'usage'", request_id
        )
        assert debit == [{"amount_micros": -row["cost_micros"]}]
        assert balance(gw, developer) == 5_000_000 - row["cost_micros"]
