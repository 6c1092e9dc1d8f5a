"""Credits end to end: the welcome grant, costs on every answer, 402, operator grants and tiers."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from openai import OpenAI

from tests.gateway.billing.support import (
    MESSAGES,
    balance,
    live_account,
    logged_costs,
    set_balance,
    worst_case,
)
from tests.support.events import read_events
from tests.support.fake_upstreams import Reply, Upstreams
from tests.support.gateway_process import GatewayProcess

Wired = tuple[GatewayProcess, Upstreams]


def test_a_new_account_starts_with_five_dollars(wired: Wired) -> None:
    gw, _ = wired
    account = live_account(gw)
    with gw.client(account["api_key"]) as client:
        body = client.get("/v1/credits/balance").json()
    assert body["balance_usd"] == 5.0 and body["currency"] == "usd"
    assert body["daily_usage_usd"] == 0.0 and len(body["daily_usage"]) == 7
    assert body["expirations"] == [] and body["low_balance_threshold_usd"] == 1.0
    rows = gw.query(
        "SELECT reason, amount_micros FROM credit_ledger WHERE developer_id = $1", account["developer_id"]
    )
    assert rows == [{"reason": "welcome", "amount_micros": 5_000_000}]


def test_every_answer_carries_its_cost_and_the_ledger_agrees(wired: Wired, upstreams: Upstreams) -> None:
    gw, _ = wired
    account = live_account(gw, tier="starter")  # 12% off list price
    client = OpenAI(api_key=account["api_key"], base_url=gw.base_url)
    plain = client.chat.completions.with_raw_response.create(model="deepseek-chat", messages=MESSAGES)  # type: ignore[arg-type]
    completion = plain.parse()
    cost = completion.usage.model_extra["cost"]  # type: ignore[union-attr]
    row = gw.query(
        "SELECT cost_micros FROM request_log WHERE request_id = $1", plain.headers["X-Request-Id"]
    )[0]
    # 21 prompt + 12 completion tokens (the fake's usage) at $0.14 / $0.28 per 1M, less 12%.
    assert row["cost_micros"] == ((21 * 140_000 + 12 * 280_000) * 88 + 50_000_000) // 100_000_000
    assert cost == row["cost_micros"] / 1_000_000 and cost > 0
    stream = client.chat.completions.create(
        model="deepseek-chat",
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},  # type: ignore[arg-type]
    )
    last = [chunk for chunk in stream][-1]
    assert last.usage is not None and last.usage.model_extra["cost"] > 0  # type: ignore[index]
    developer = account["developer_id"]
    assert balance(gw, developer) == 5_000_000 - logged_costs(gw, developer)
    rows = gw.query(
        "SELECT stream, cost_micros FROM request_log WHERE developer_id = $1 ORDER BY id", developer
    )
    assert [r["stream"] in (True, 1) for r in rows] == [False, True]
    assert rows[1]["cost_micros"] == round(last.usage.model_extra["cost"] * 1_000_000)  # type: ignore[index]


def test_an_exhausted_balance_answers_402_before_any_upstream_call(
    wired: Wired, upstreams: Upstreams
) -> None:
    gw, _ = wired
    account = live_account(gw)
    set_balance(gw, account["email"], account["developer_id"], 0)
    upstreams.reset()
    with gw.client(account["api_key"]) as client:
        response = client.post("/v1/chat/completions", json={"model": "deepseek-chat", "messages": MESSAGES})
    assert response.status_code == 402
    error = response.json()["error"]
    assert error["code"] == "CREDITS_EXHAUSTED" and error["is_retryable"] is False
    assert "$0.00" in error["message"]
    assert upstreams.fakes["deepseek"].calls("openai.chat") == []
    # A balance that covers less than the worst case says so, and how to ask for less.
    set_balance(gw, account["email"], account["developer_id"], worst_case("deepseek-chat", 1000) - 1)
    with gw.client(account["api_key"]) as client:
        response = client.post(
            "/v1/chat/completions", json={"model": "deepseek-chat", "messages": MESSAGES, "max_tokens": 1000}
        )
        assert response.status_code == 402 and "max_tokens" in response.json()["error"]["message"]
        ok = client.post(
            "/v1/chat/completions", json={"model": "deepseek-chat", "messages": MESSAGES, "max_tokens": 50}
        )
    assert ok.status_code == 200


def test_fifty_concurrent_requests_against_a_balance_for_ten(wired: Wired, upstreams: Upstreams) -> None:
    gw, _ = wired
    account = live_account(gw)
    # The provider takes its time, so all 50 are admitted or refused before any one settles.
    upstreams.fakes["deepseek"].fail("openai.chat", Reply(fixture="openai/chat.json", delay=1.5))
    worst = worst_case("deepseek-chat", 100)
    set_balance(gw, account["email"], account["developer_id"], 10 * worst + worst // 2)
    body = {"model": "deepseek-chat", "messages": MESSAGES, "max_tokens": 100}

    async def run() -> list[int]:
        headers = {"Authorization": f"Bearer {account['api_key']}"}
        async with httpx.AsyncClient(base_url=gw.url, headers=headers, timeout=60) as client:
            answers = await asyncio.gather(
                *(client.post("/v1/chat/completions", json=body) for _ in range(50))
            )
        return [a.status_code for a in answers]

    statuses = asyncio.run(run())
    assert statuses.count(200) == 10 and statuses.count(402) == 40
    developer = account["developer_id"]
    assert balance(gw, developer) >= 0
    assert balance(gw, developer) == 10 * worst + worst // 2 - logged_costs(gw, developer)


def test_a_model_above_the_tier_is_403_naming_the_tier(wired: Wired) -> None:
    gw, _ = wired
    account = live_account(gw, tier="free")
    with gw.client(account["api_key"]) as client:
        response = client.post(
            "/v1/chat/completions", json={"model": "claude-opus-4-6", "messages": MESSAGES}
        )
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "TIER_RESTRICTED" and "Pro tier" in error["message"]


def test_operators_grant_correct_and_set_tiers(wired: Wired) -> None:
    gw, _ = wired
    account = live_account(gw)
    granted = gw.admin(
        "grant-credits",
        "--email",
        account["email"],
        "--usd",
        "10",
        "--expires",
        "2099-01-31",
        "--reason",
        "jam prize",
    )
    assert granted["balance_usd"] == 15.0 and granted["expires_at"] == "2099-01-31T23:59:59Z"
    corrected = gw.admin(
        "grant-credits", "--email", account["email"], "--usd", "-2.5", "--reason", "double grant"
    )
    assert corrected["balance_usd"] == 12.5
    rows = gw.query(
        "SELECT reason, amount_micros, note FROM credit_ledger WHERE developer_id = $1 ORDER BY id",
        account["developer_id"],
    )
    assert [(r["reason"], r["amount_micros"], r["note"]) for r in rows] == [
        ("welcome", 5_000_000, None),
        ("grant", 10_000_000, "jam prize"),
        ("correction", -2_500_000, "double grant"),
    ]
    with gw.client(account["api_key"]) as client:
        body = client.get("/v1/credits/balance").json()
    assert body["balance_usd"] == 12.5
    # Spending (the correction too) comes out of the credit that expires first: of the $10
    # grant $7.50 is left to lapse; the welcome credit never expires.
    assert body["expirations"] == [{"amount_usd": 7.5, "expires_at": "2099-01-31T23:59:59.000Z"}]
    assert gw.admin("set-tier", "--email", account["email"], "--tier", "pro")["tier"] == "pro"
    with pytest.raises(RuntimeError, match="no developer"):
        gw.admin("grant-credits", "--email", "nobody@example.com", "--usd", "1")


def test_credit_low_is_emitted_once_when_the_balance_crosses(wired: Wired) -> None:
    gw, _ = wired
    account = live_account(gw)
    set_balance(gw, account["email"], account["developer_id"], 0)
    gw.admin("grant-credits", "--email", account["email"], "--usd", "0.0001")  # threshold: 20 micro-dollars
    body = {"model": "deepseek-chat", "messages": MESSAGES, "max_tokens": 20}
    statuses = []
    with gw.client(account["api_key"]) as client:
        for _ in range(20):
            statuses.append(client.post("/v1/chat/completions", json=body).status_code)
    assert 402 in statuses and statuses.count(200) >= 14
    events = read_events(gw, account["developer_id"], "player.credit_low")
    assert len(events) == 1
    data = events[0]["data"]
    assert data["threshold_usd"] == 0.00002 and data["balance_usd"] < 0.00002
    with gw.client(account["api_key"]) as client:
        assert client.get("/v1/credits/balance").json()["low_balance"] is True
