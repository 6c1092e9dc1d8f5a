"""Caps, usage, the request log and telemetry over HTTP, each seen only by its own developer."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from tests.gateway.billing.support import MESSAGES, live_account, worst_case
from tests.support.fake_upstreams import Upstreams
from tests.support.gateway_process import GatewayProcess

Wired = tuple[GatewayProcess, Upstreams]
BODY = {"model": "deepseek-chat", "messages": MESSAGES, "max_tokens": 50}


def test_spend_caps_refuse_with_the_reset_time(wired: Wired) -> None:
    gw, _ = wired
    account = live_account(gw)
    worst = worst_case("deepseek-chat", 50)
    with gw.client(account["api_key"]) as client:
        limits = client.get("/v1/billing/spend-limit").json()
        assert limits["daily_cap_usd"] is None and limits["tier_daily_cap_usd"] == 5.0
        # A daily cap the first request's worst case fits under; what it spent (6 micro-dollars:
        # the fake's 21 + 12 tokens) leaves too little room for a second.
        cap = worst + 1
        put = client.put("/v1/billing/spend-limit", json={"daily_cap_usd": cap / 1_000_000})
        assert put.status_code == 200 and put.json()["daily_cap_usd"] == cap / 1_000_000
        assert client.post("/v1/chat/completions", json=BODY).status_code == 200
        refused = client.post("/v1/chat/completions", json=BODY)
        assert refused.status_code == 429
        error = refused.json()["error"]
        now = datetime.now(UTC)
        midnight = (now + timedelta(days=1)).strftime("%Y-%m-%dT00:00:00.000Z")
        assert error["code"] == "SPEND_CAP_EXCEEDED" and error["is_retryable"] is True
        assert error["reset_at"] == midnight and int(refused.headers["Retry-After"]) > 0
        # The monthly cap, with the daily one removed (null).
        client.put("/v1/billing/spend-limit", json={"daily_cap_usd": None, "monthly_cap_usd": 0})
        monthly = client.post("/v1/chat/completions", json=BODY).json()["error"]
        first = (now.replace(day=1) + timedelta(days=32)).replace(day=1).strftime("%Y-%m-%dT00:00:00.000Z")
        assert monthly["code"] == "MONTHLY_CAP_EXCEEDED" and monthly["reset_at"] == first
        cleared = client.put("/v1/billing/spend-limit", json={"monthly_cap_usd": None}).json()
        assert cleared == {"object": "spend_limit", "daily_cap_usd": None, "monthly_cap_usd": None}
        assert client.post("/v1/chat/completions", json=BODY).status_code == 200
        bad = client.put("/v1/billing/spend-limit", json={"daily_cap_usd": -1})
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "INVALID_REQUEST"


def test_usage_per_day_and_model_with_csv(wired: Wired) -> None:
    gw, _ = wired
    account = live_account(gw, tier="starter")
    with gw.client(account["api_key"]) as client:
        for model in ("deepseek-chat", "deepseek-chat", "gpt-4o"):
            assert client.post("/v1/chat/completions", json=dict(BODY, model=model)).status_code == 200
        usage = client.get("/v1/usage", params={"days": 7}).json()
        assert usage["days"] == 7 and len(usage["daily"]) == 7
        today = usage["daily"][-1]
        assert today["date"] == datetime.now(UTC).date().isoformat() and today["requests"] == 3
        models = {m["model"]: m for m in usage["by_model"]}
        assert models["deepseek-chat"]["requests"] == 2 and models["gpt-4o"]["requests"] == 1
        assert usage["by_model"][0]["model"] == "gpt-4o"  # the dearest first
        total = round(sum(m["cost_usd"] for m in usage["by_model"]), 6)
        assert usage["totals"]["cost_usd"] == total > 0
        assert usage["projection"]["month_to_date_usd"] >= total
        assert usage["credit_forecast"]["days_left"] > 0
        exported = client.get("/v1/usage", params={"days": 7, "format": "csv"})
        assert exported.headers["Content-Type"].startswith("text/csv")
        assert 'filename="mg-usage-7d-' in exported.headers["Content-Disposition"]
        assert exported.text.endswith("\r\n")
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        assert {r["model"] for r in rows} == {"deepseek-chat", "gpt-4o"}
        assert sum(int(r["requests"]) for r in rows) == 3
        for days in (0, 91, "x"):
            assert client.get("/v1/usage", params={"days": days}).status_code == 400


def test_logs_page_by_cursor_and_filter(wired: Wired, upstreams: Upstreams) -> None:
    gw, _ = wired
    account = live_account(gw)
    with gw.client(account["api_key"]) as client:
        for n in range(7):
            client.post(
                "/v1/chat/completions", json=BODY, headers={"X-Request-Id": f"page-{account['key_id']}-{n}"}
            )
        client.post("/v1/chat/completions", json=dict(BODY, model="gpt-4o-mini"))
        first = client.get("/v1/logs", params={"limit": 3}).json()
        assert first["has_more"] is True and len(first["data"]) == 3
        seen = [e["id"] for e in first["data"]]
        cursor = first["next_cursor"]
        while cursor:
            page = client.get("/v1/logs", params={"limit": 3, "before": cursor}).json()
            seen += [e["id"] for e in page["data"]]
            cursor = page["next_cursor"]
        assert len(seen) == len(set(seen)) == 8
        assert seen == sorted(seen, key=lambda i: -int(i[4:]))  # newest first, stable
        entry = first["data"][0]
        assert entry["model"] == "gpt-4o-mini" and entry["status"] == 200 and entry["cost_usd"] > 0
        assert set(entry) >= {"prompt_tokens", "completion_tokens", "latency_ms", "error_code", "created_at"}
        only = client.get("/v1/logs", params={"model": "deepseek-chat", "limit": 200}).json()["data"]
        assert len(only) == 7 and {e["model"] for e in only} == {"deepseek-chat"}
        assert client.get("/v1/logs", params={"status": "error"}).json()["data"] == []
        assert client.get(f"/v1/logs/{entry['id']}").json() == entry
        assert client.get("/v1/logs", params={"limit": 201}).status_code == 400
        assert client.get("/v1/logs", params={"before": "nonsense"}).status_code == 400


def test_telemetry_validates_and_summarises(wired: Wired) -> None:
    gw, _ = wired
    account = live_account(gw)
    with gw.client(account["api_key"]) as client:
        for event in ("session_start", "generate_started", "generate_started"):
            answer = client.post("/v1/telemetry/event", json={"event": event, "source": "cli"})
            assert answer.status_code == 201 and answer.json()["id"].startswith("tel_")
        unknown = client.post("/v1/telemetry/event", json={"event": "launch_rockets", "source": "cli"})
        assert unknown.status_code == 400 and "generate_started" in unknown.json()["error"]["remediation"]
        bad_source = client.post("/v1/telemetry/event", json={"event": "session_end", "source": "fax"})
        assert "vscode_extension" in bad_source.json()["error"]["remediation"]
        summary = client.get("/v1/telemetry/summary").json()
    assert summary["total"] == 3 and summary["by_event"] == {"generate_started": 2, "session_start": 1}
    assert summary["by_source"] == {"cli": 3}


def test_every_list_and_id_route_shows_only_the_callers_rows(wired: Wired) -> None:
    gw, _ = wired
    owner, other = live_account(gw), live_account(gw)
    with gw.client(owner["api_key"]) as client:
        client.post("/v1/chat/completions", json=BODY)
        client.put("/v1/billing/spend-limit", json={"daily_cap_usd": 3})
        client.post("/v1/telemetry/event", json={"event": "first_call", "source": "api"})
        log_id = client.get("/v1/logs").json()["data"][0]["id"]
    with gw.client(other["api_key"]) as client:
        assert client.get("/v1/logs").json()["data"] == []
        missing = client.get(f"/v1/logs/{log_id}")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "NOT_FOUND"
        assert client.get("/v1/usage").json()["totals"]["requests"] == 0
        assert client.get("/v1/usage", params={"format": "csv"}).text.count("\r\n") == 1
        assert client.get("/v1/credits/balance").json()["balance_usd"] == 5.0
        assert client.get("/v1/billing/spend-limit").json()["daily_cap_usd"] is None
        assert client.get("/v1/telemetry/summary").json()["total"] == 0


def test_prices_tiers_and_estimates_are_public(wired: Wired) -> None:
    gw, _ = wired
    with gw.client() as client:
        tiers = {t["id"]: t for t in client.get("/v1/tiers").json()["data"]}
        assert [tiers[t]["discount_pct"] for t in ("free", "payg", "starter", "pro", "studio")] == [
            0,
            0,
            12,
            22,
            35,
        ]
        assert tiers["pro"]["requests_per_minute"] == 300 and tiers["studio"]["seats"] == 25
        prices = {p["model"]: p for p in client.get("/v1/pricing").json()["data"]}
        assert prices["deepseek-chat"]["input_per_1m"] == 0.14
        listed = client.get(
            "/v1/cost-calculator",
            params={"model": "gpt-4o", "input_tokens": 1_000_000, "output_tokens": 100_000},
        ).json()
        assert listed["cost_usd"] == listed["list_cost_usd"] == 3.5 and listed["discount_pct"] == 0
    account = live_account(gw, tier="pro")
    with gw.client(account["api_key"]) as client:
        mine = client.get(
            "/v1/cost-calculator",
            params={"model": "gpt-4o", "input_tokens": 1_000_000, "output_tokens": 100_000},
        ).json()
    assert mine["tier"] == "pro" and mine["discount_pct"] == 22 and mine["cost_usd"] == 2.73
