"""Live keys through the OpenAI-compatible adapter, against a fake upstream (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from openai import OpenAI

from tests.support.envelope import assert_envelope
from tests.support.fake_openai import API_KEY, REPLY, USAGE, FakeOpenAI
from tests.support.gateway_process import GatewayProcess, running_gateway

MODEL = "gpt-4o-mini"  # an openai model every tier may use
HELLO = [{"role": "user", "content": "Is the forge lit?"}]
# Amounts are stored in micro-dollars; these read them back in dollars.
LEDGER_USD = (
    "SELECT CAST(amount_micros AS DOUBLE PRECISION) / 1000000 AS amount_usd "
    "FROM credit_ledger WHERE request_id = $1"
)
COST_USD = "CAST(cost_micros AS DOUBLE PRECISION) / 1000000 AS cost_usd"
# The keys here are Studio tier: its discount (35 %, the spec's tier table) applies to list prices.
STUDIO_DISCOUNT = 0.35
# One USAGE-sized request of MODEL at list price, and what a Studio account pays for it.
LIST_MICROS = 660
STUDIO_MICROS = round(LIST_MICROS * (1 - STUDIO_DISCOUNT))


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def live_gateway(
    request: pytest.FixtureRequest, fake: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    env = {
        "MG_OPENAI_BASE_URL": fake.base_url,
        "MG_OPENAI_API_KEY": API_KEY,
        "MG_UPSTREAM_TIMEOUT": "1",
        # Each test here injects one failure; the circuit breaker has its own tests.
        "MG_BREAKER_FAILURES": "1000",
    }
    with running_gateway(tmp_path_factory.mktemp(f"live-{request.param}"), url, env) as gw:
        yield gw


@pytest.fixture(scope="module")
def live_key(live_gateway: GatewayProcess) -> dict[str, Any]:
    return live_gateway.create_key(tier="studio", live=True)


@pytest.fixture
def upstream(fake: FakeOpenAI) -> Iterator[FakeOpenAI]:
    fake.reset("normal")
    yield fake
    fake.release()  # never leave a slow answer hanging into the next test


def _post(gw: GatewayProcess, key: str, **body: Any) -> httpx.Response:
    with gw.client(key) as client:
        return client.post("/v1/chat/completions", json={"model": MODEL, "messages": HELLO, **body})


def _wait_for_rows(gw: GatewayProcess, request_id: str, timeout: float = 10) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        rows = gw.query("SELECT * FROM request_log WHERE request_id = $1", request_id)
        if rows or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


def test_fields_are_forwarded_and_only_the_provider_key_goes_upstream(
    live_gateway: GatewayProcess, live_key: dict[str, Any], upstream: FakeOpenAI
) -> None:
    tools = [{"type": "function", "function": {"name": "open_shop", "parameters": {"type": "object"}}}]
    # json_object: a json_schema answer is validated, and this fake's reply is prose.
    fmt = {"type": "json_object"}
    response = _post(
        live_gateway,
        live_key["api_key"],
        max_tokens=50,
        temperature=0.3,
        top_p=0.9,
        stop=["END"],
        seed=7,
        tools=tools,
        tool_choice={"type": "function", "function": {"name": "open_shop"}},
        response_format=fmt,
        user="player-1",
        npc_id="blacksmith",
    )
    assert response.status_code == 200, response.text
    assert response.headers["X-Monster-Provider"] == "openai"
    assert response.json()["choices"][0]["message"]["content"] == "".join(REPLY)
    seen = upstream.wait_for_request()
    assert seen.headers["Authorization"] == f"Bearer {API_KEY}"
    assert live_key["api_key"] not in json.dumps(seen.headers) + json.dumps(seen.body)
    body = seen.body
    # npc_id makes the call a turn of the NPC's thread: the upstream gets the NPC's prompt first.
    assert body["model"] == MODEL and body["messages"][1:] == HELLO
    assert (
        body["messages"][0]["role"] == "system"
        and "Your name is blacksmith." in body["messages"][0]["content"]
    )
    assert (body["max_tokens"], body["temperature"], body["top_p"], body["seed"]) == (50, 0.3, 0.9, 7)
    assert body["stop"] == ["END"] and body["tools"] == tools and body["response_format"] == fmt
    assert body["tool_choice"]["function"]["name"] == "open_shop" and body["user"] == "player-1"
    assert "npc_id" not in body, "the gateway's own fields stay in the gateway"


def test_live_usage_is_billed_at_catalog_price(
    live_gateway: GatewayProcess, live_key: dict[str, Any], upstream: FakeOpenAI
) -> None:
    with live_gateway.client() as client:
        prices = {m["id"]: m["pricing"] for m in client.get("/v1/models/catalog").json()["data"]}
    price = prices[MODEL]
    listed = (
        USAGE["prompt_tokens"] * price["input_per_1m"] + USAGE["completion_tokens"] * price["output_per_1m"]
    ) / 1e6
    assert round(listed * 1e6) == LIST_MICROS
    with live_gateway.client() as client:
        tiers = {t["id"]: t for t in client.get("/v1/tiers").json()["data"]}
    assert tiers["studio"]["discount_pct"] == STUDIO_DISCOUNT * 100
    expected = STUDIO_MICROS / 1e6
    response = _post(live_gateway, live_key["api_key"])
    assert response.status_code == 200
    usage = dict(response.json()["usage"])
    # usage.cost is what this request cost the account, in USD (as OpenRouter answers it).
    assert usage.pop("cost") == pytest.approx(expected)
    assert usage == USAGE, "the provider's own counts are what is billed"
    request_id = response.headers["X-Request-Id"]
    ledger = live_gateway.query(LEDGER_USD, request_id)
    assert [round(r["amount_usd"], 9) for r in ledger] == [round(-expected, 9)]
    row = live_gateway.query(f"SELECT {COST_USD}, status FROM request_log WHERE request_id = $1", request_id)
    assert row[0]["status"] == 200 and row[0]["cost_usd"] == pytest.approx(expected)


def test_zero_balance_is_credits_exhausted(live_gateway: GatewayProcess, upstream: FakeOpenAI) -> None:
    broke = live_gateway.create_key(tier="free", live=True)
    live_gateway.add_credit(broke["email"], -5.0)  # spends the welcome credit
    response = _post(live_gateway, broke["api_key"])
    assert "balance" in assert_envelope(response, 402, "CREDITS_EXHAUSTED")["message"]
    assert upstream.requests == [], "nothing is sent upstream for an account that cannot pay"


@pytest.mark.parametrize("mode", ["error500", "timeout", "malformed"])
@pytest.mark.parametrize("stream", [False, True])
def test_upstream_failure_is_retryable_provider_unavailable(
    live_gateway: GatewayProcess, live_key: dict[str, Any], upstream: FakeOpenAI, mode: str, stream: bool
) -> None:
    upstream.reset(mode)
    response = _post(live_gateway, live_key["api_key"], stream=stream)
    if stream and mode == "malformed":
        # The stream had begun: the error arrives as the stream's last event.
        assert response.status_code == 200
        events = [line[6:] for line in response.text.splitlines() if line.startswith("data: ")]
        error = json.loads(events[-1])["error"]
    else:
        error = assert_envelope(response, 503, "PROVIDER_UNAVAILABLE")
        assert response.headers["Retry-After"] == "1" and error["retry_after"] == 1
    assert error["code"] == "PROVIDER_UNAVAILABLE" and error["is_retryable"] is True
    assert API_KEY not in response.text and "Traceback" not in response.text
    row = _wait_for_rows(live_gateway, response.headers["X-Request-Id"])
    assert row and row[0]["status"] == 503 and row[0]["error_code"] == "PROVIDER_UNAVAILABLE"


def test_unconfigured_provider_names_its_variable(
    live_gateway: GatewayProcess, live_key: dict[str, Any]
) -> None:
    response = _post(live_gateway, live_key["api_key"], model="claude-haiku-4-5")
    error = assert_envelope(response, 503, "PROVIDER_UNAVAILABLE")
    assert "MG_ANTHROPIC_API_KEY" in error["remediation"] and error["is_retryable"] is True


def test_chunks_are_forwarded_as_they_arrive(
    live_gateway: GatewayProcess, live_key: dict[str, Any], upstream: FakeOpenAI
) -> None:
    upstream.reset("slow")
    client = OpenAI(base_url=live_gateway.base_url, api_key=live_key["api_key"], max_retries=0)
    request_id = f"streamed-{secrets.token_hex(4)}"
    stream = client.chat.completions.create(
        model=MODEL,
        messages=HELLO,
        stream=True,
        stream_options={"include_usage": True},
        extra_headers={"X-Request-Id": request_id},
    )
    pieces = []
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
            if len(pieces) == 1:
                # The upstream is still holding the rest back: this chunk was not buffered.
                assert not upstream.requests[-1].finished.is_set()
                upstream.release()
        last = chunk
    assert "".join(pieces) == "".join(REPLY)
    assert last.choices == [] and last.usage.total_tokens == USAGE["total_tokens"]
    assert upstream.requests[-1].body["stream_options"] == {"include_usage": True}
    # A finished stream is billed from the provider's usage, committed before [DONE].
    ledger = live_gateway.query(LEDGER_USD, request_id)
    row = live_gateway.query(
        f"SELECT {COST_USD}, prompt_tokens FROM request_log WHERE request_id = $1", request_id
    )
    assert row[0]["prompt_tokens"] == USAGE["prompt_tokens"] and row[0]["cost_usd"] > 0
    assert [r["amount_usd"] for r in ledger] == [pytest.approx(-row[0]["cost_usd"])]


def test_a_stream_s_upstream_connection_is_kept_for_the_next_request(
    live_gateway: GatewayProcess, live_key: dict[str, Any], upstream: FakeOpenAI
) -> None:
    # A model generating tokens: every event, and the end of the body after [DONE], arrive in
    # packets of their own. Hanging up at [DONE] would cost each stream a new connection (a new
    # TLS handshake to a real provider).
    upstream.reset("paced")
    client = OpenAI(base_url=live_gateway.base_url, api_key=live_key["api_key"], max_retries=0)
    for _ in range(2):
        chunks = list(client.chat.completions.create(model=MODEL, messages=HELLO, stream=True))
        assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "".join(REPLY)
    *earlier, first, second = upstream.requests
    for seen in (first, second):
        assert seen.finished.wait(5), "the upstream's answer never ended"
        assert not seen.disconnected.is_set(), "the gateway hung up before the body ended"
    # The second stream came over a connection already open (no new handshake).
    assert second.port in {s.port for s in (*earlier, first)}


def test_client_going_away_cancels_upstream_and_is_logged(
    live_gateway: GatewayProcess, live_key: dict[str, Any], upstream: FakeOpenAI
) -> None:
    upstream.reset("slow")
    body = {"model": MODEL, "messages": HELLO, "stream": True}
    with (
        live_gateway.client(live_key["api_key"]) as client,
        client.stream("POST", "/v1/chat/completions", json=body) as response,
    ):
        request_id = response.headers["X-Request-Id"]
        lines = response.iter_lines()
        assert any(REPLY[0] in line for line in lines)
    # Leaving the block closed the connection mid-stream.
    seen = upstream.requests[-1]
    assert seen.disconnected.wait(10), "the upstream call was not stopped"
    assert not seen.finished.is_set()
    row = _wait_for_rows(live_gateway, request_id)
    assert row and row[0]["status"] == 499 and row[0]["stream"]


def test_client_giving_up_on_a_slow_answer_is_logged(
    live_gateway: GatewayProcess, live_key: dict[str, Any], upstream: FakeOpenAI
) -> None:
    upstream.reset("slow")
    request_id = f"gave-up-{secrets.token_hex(4)}"

    async def give_up() -> None:
        headers = {"Authorization": f"Bearer {live_key['api_key']}", "X-Request-Id": request_id}
        async with httpx.AsyncClient(base_url=live_gateway.url, headers=headers) as client:
            call = asyncio.create_task(
                client.post("/v1/chat/completions", json={"model": MODEL, "messages": HELLO})
            )
            while not upstream.requests:
                await asyncio.sleep(0.01)
            call.cancel()  # hangs up while the provider is still thinking

    asyncio.run(give_up())
    assert upstream.requests[-1].disconnected.wait(10), "the upstream call was not stopped"
    row = _wait_for_rows(live_gateway, request_id)
    assert row and row[0]["status"] == 499 and not row[0]["stream"]
    # The provider read the prompt (and bills it, as for a stream cut short); nothing was produced.
    assert row[0]["completion_tokens"] == 0 and row[0]["prompt_tokens"] > 0
    access = [line for line in live_gateway.log().splitlines() if request_id in line and "access" in line]
    assert access and '"status": 499' in access[-1]


def _ledger_sum(gw: GatewayProcess, developer_id: str) -> int:
    rows = gw.query("SELECT amount_micros FROM credit_ledger WHERE developer_id = $1", developer_id)
    return sum(r["amount_micros"] for r in rows)


def test_balance_is_grants_minus_logged_costs_to_the_micro_dollar(
    live_gateway: GatewayProcess, upstream: FakeOpenAI
) -> None:
    payer = live_gateway.create_key(tier="studio", live=True)
    key, developer = payer["api_key"], payer["developer_id"]
    for _ in range(3):
        assert _post(live_gateway, key).status_code == 200
    for _ in range(2):
        streamed = _post(live_gateway, key, stream=True, stream_options={"include_usage": True})
        assert streamed.text.rstrip().endswith("data: [DONE]")
    upstream.reset("error500")
    assert _post(live_gateway, key).status_code == 503
    upstream.reset("normal")
    live_gateway.add_credit(payer["email"], 1.234567)

    logged = live_gateway.query(
        "SELECT request_id, status, cost_micros FROM request_log WHERE developer_id = $1", developer
    )
    assert sorted(r["cost_micros"] for r in logged) == [0] + [STUDIO_MICROS] * 5
    assert all(r["cost_micros"] == 0 for r in logged if r["status"] != 200)
    grants = 5_000_000 + 1_234_567
    balance = _ledger_sum(live_gateway, developer)
    assert balance == grants - sum(r["cost_micros"] for r in logged)
    for row in logged:  # every request's debit is its logged cost, exactly
        debits = live_gateway.query(
            "SELECT amount_micros FROM credit_ledger WHERE request_id = $1", row["request_id"]
        )
        assert [d["amount_micros"] for d in debits] == ([-row["cost_micros"]] if row["cost_micros"] else [])
    with live_gateway.client(key) as client:
        assert client.get("/v1/keys/me").json()["credit_balance_usd"] == balance / 1e6 == 6.232422


def test_a_model_summary_after_a_turn_is_metered_too(
    live_gateway: GatewayProcess, upstream: FakeOpenAI
) -> None:
    payer = live_gateway.create_key(tier="studio", live=True)
    with live_gateway.client(payer["api_key"]) as client:
        thread_id = client.post("/v1/threads", json={"npc_id": "chronicler"}).json()["id"]
        lines = [{"role": "user" if i % 2 else "assistant", "content": f"Line {i}."} for i in range(70)]
        assert client.post(f"/v1/threads/{thread_id}/messages", json={"messages": lines}).status_code == 200
        turn = client.post(
            "/v1/chat/completions", json={"model": MODEL, "messages": HELLO, "thread_id": thread_id}
        )
    assert turn.status_code == 200
    # The thread outgrew its window: after the answer, its model folds the oldest turns.
    summaries = "SELECT * FROM request_log WHERE developer_id = $1 AND endpoint = 'npc.summary'"
    deadline = time.monotonic() + 10
    while not (rows := live_gateway.query(summaries, payer["developer_id"])) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(rows) == 1, "the summary call was not recorded"
    summary = rows[0]
    assert (summary["request_id"], summary["model"], summary["provider"]) == (
        turn.headers["X-Request-Id"],
        MODEL,
        "openai",
    )
    assert summary["cost_micros"] == STUDIO_MICROS
    assert any("You keep the memory of" in str(r.body["messages"]) for r in upstream.requests)
    logged = live_gateway.query(
        "SELECT cost_micros FROM request_log WHERE developer_id = $1", payer["developer_id"]
    )
    assert _ledger_sum(live_gateway, payer["developer_id"]) == 5_000_000 - sum(
        r["cost_micros"] for r in logged
    )
