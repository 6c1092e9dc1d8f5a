"""`mg credits`, `usage`, `logs`, `billing spend-limit`, `tiers`, `pricing`, `cost` against a real
gateway whose live key spends on a local stand-in provider."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.gateway_process import GatewayProcess
from tests.support.mg_cli import ROOT, mg_executable, run_mg
from tests.support.slow_upstream import SlowUpstream, gateway_with_upstream

BODY = {
    "model": "deepseek-chat",
    "messages": [{"role": "user", "content": "Price of a shield?"}],
    "max_tokens": 40,
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GatewayProcess, SlowUpstream]]:
    with gateway_with_upstream(tmp_path_factory.mktemp("gw-cli-billing"), words=6, delay=0.0) as pair:
        yield pair


@pytest.fixture(scope="module")
def account(stack: tuple[GatewayProcess, SlowUpstream]) -> dict[str, str]:
    gw = stack[0]
    key = gw.create_key(tier="starter", live=True, rpm=10_000)
    with gw.client(key["api_key"]) as client:
        for _ in range(3):
            assert client.post("/v1/chat/completions", json=BODY).status_code == 200
    return key


@pytest.fixture
def env(stack: tuple[GatewayProcess, SlowUpstream], account: dict[str, str]) -> dict[str, str]:
    return {"MG_BASE_URL": stack[0].url, "MG_API_KEY": account["api_key"]}


def test_credits(env: dict[str, str]) -> None:
    body = run_mg("credits", "--json", **env).json()
    assert 4.99 < body["balance_usd"] < 5.0 and body["daily_usage_usd"] > 0
    text = run_mg("credits", **env)
    assert text.code == 0 and "balance\t$4.999994" in text.out and "spent today\t$0.000006" in text.out


def test_usage_chart_and_csv(env: dict[str, str]) -> None:
    shown = run_mg("usage", "--days", "3", **env)
    assert shown.code == 0, shown
    lines = shown.out.splitlines()
    assert len([line for line in lines if line[:4].isdigit()]) == 3
    assert "█" in lines[2] and "deepseek-chat\t3\t" in shown.out  # today carries the whole bar
    assert "month to date" in shown.err
    exported = run_mg("usage", "--days", "3", "--csv", **env)
    header, row = exported.out.splitlines()
    assert header == "date,model,requests,errors,prompt_tokens,completion_tokens,cost_usd"
    assert row.endswith(",deepseek-chat,3,0,15,18,0.000006")
    assert run_mg("usage", "--days", "91", **env).code == 2


def test_logs_and_follow(
    stack: tuple[GatewayProcess, SlowUpstream], env: dict[str, str], account: dict[str, str]
) -> None:
    page = run_mg("logs", "--limit", "2", "--json", **env).json()
    assert len(page["data"]) == 2 and page["has_more"] is True and page["next_cursor"].startswith("log_")
    table = run_mg("logs", "--limit", "2", **env)
    assert "deepseek-chat\t200" in table.out and f"--before {page['next_cursor']}" in table.err
    proc = subprocess.Popen(
        [mg_executable(), "logs", "--limit", "1", "--follow", "--interval", "0.2"],
        env={**os.environ, "PYTHONPATH": str(ROOT), **env}, stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert "deepseek-chat" in first
        response = httpx.post(
            f"{stack[0].url}/v1/chat/completions",
            json=BODY,
            headers={"Authorization": f"Bearer {account['api_key']}"},
        )
        new_id = response.headers["X-Request-Id"]
        assert response.status_code == 200
        deadline = time.monotonic() + 10
        second = proc.stdout.readline()
        assert time.monotonic() < deadline and "deepseek-chat" in second and second != first
        assert new_id
    finally:
        proc.kill()
        proc.wait()


def test_spend_limit(env: dict[str, str]) -> None:
    set_ = run_mg("billing", "spend-limit", "--daily", "2", "--monthly", "30", "--json", **env).json()
    assert (
        set_["daily_cap_usd"] == 2.0
        and set_["monthly_cap_usd"] == 30.0
        and set_["tier_daily_cap_usd"] == 10.0
    )
    shown = run_mg("billing", **env)  # the group defaults to spend-limit
    assert "daily\t$2.00" in shown.out and "monthly\t$30.00" in shown.out
    cleared = run_mg("billing", "spend-limit", "--clear", "--json", **env).json()
    assert cleared["daily_cap_usd"] is None and cleared["monthly_cap_usd"] is None


def test_tiers_pricing_and_cost(env: dict[str, str], stack: tuple[GatewayProcess, SlowUpstream]) -> None:
    public = {"MG_BASE_URL": stack[0].url}
    tiers = run_mg("tiers", **public)
    assert tiers.code == 0 and "Starter\t$39.99\t12%\t60" in tiers.out
    assert "deepseek-chat\tdeepseek\tfree\t$0.14\t$0.28" in run_mg("pricing", **public).out
    listed = run_mg("cost", "gpt-4o", "--in", "1000000", "--out", "100000", **public)
    assert listed.out.strip() == "gpt-4o: 1,000,000 in + 100,000 out = $3.50"
    mine = run_mg("cost", "gpt-4o", "--in", "1000000", "--out", "100000", **env)
    assert "(starter tier, 12% off); list price $3.50" in mine.out and "$3.08" in mine.out
