"""Fallback, retries and the circuit breaker through a real gateway, under injected failures."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import openai
import pytest
from openai import OpenAI

from tests.gateway.conftest import gateway_with_fakes
from tests.support.fake_upstreams import Reply, Upstreams
from tests.support.gateway_process import GatewayProcess

COOLDOWN = 1.0
DOWN = Reply(status=503, body={"error": {"message": "upstream down", "type": "server_error"}})
HI = [{"role": "user", "content": "Sword?"}]


@pytest.fixture(scope="module")
def fallback_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GatewayProcess, Upstreams]]:
    extra = {"MG_BREAKER_FAILURES": "3", "MG_BREAKER_COOLDOWN": str(COOLDOWN), "MG_UPSTREAM_RETRIES": "1"}
    with gateway_with_fakes(tmp_path_factory.mktemp("gw-fallback"), extra) as pair:
        yield pair


@pytest.fixture(scope="module")
def chain(fallback_gateway: tuple[GatewayProcess, Upstreams]) -> list[str]:
    catalog = httpx.get(fallback_gateway[0].url + "/v1/models/catalog").json()["data"]
    entry = next(m for m in catalog if m["id"] == "deepseek-chat")
    if not entry.get("fallback"):
        pytest.skip("the catalog documents no fallback chain for deepseek-chat")
    return entry["fallback"]


@pytest.fixture(scope="module")
def client(fallback_gateway: tuple[GatewayProcess, Upstreams]) -> OpenAI:
    key = fallback_gateway[0].create_key(tier="free", live=True)["api_key"]
    return OpenAI(base_url=fallback_gateway[0].base_url, api_key=key, max_retries=0)


def health(gw: GatewayProcess) -> dict:  # type: ignore[type-arg]
    return httpx.get(gw.url + "/v1/models/health").json()


def test_breaker_opens_traffic_moves_and_recovers(
    fallback_gateway: tuple[GatewayProcess, Upstreams], chain: list[str], client: OpenAI
) -> None:
    gw, upstreams = fallback_gateway
    upstreams.reset()
    deepseek, openai_fake = upstreams.fakes["deepseek"], upstreams.fakes["openai"]
    assert chain[0] == "gpt-4o-mini"  # an OpenAI model: served by the openai fake
    deepseek.fail("openai.chat", DOWN)

    # 1. The primary fails before any byte: one jittered retry, then the next model in the chain.
    response = client.chat.completions.with_raw_response.create(
        model="deepseek-chat", messages=HI, extra_body={"allow_fallback": True}
    )
    completion = response.parse()
    assert completion.model == "gpt-4o-mini"
    assert response.headers["x-monster-fallback"] == "gpt-4o-mini"
    assert response.headers["x-monster-requested-model"] == "deepseek-chat"
    assert len(deepseek.calls("openai.chat")) == 2 and len(openai_fake.calls("openai.chat")) == 1

    # 2. Without allow_fallback the caller gets 503 PROVIDER_UNAVAILABLE; this third failure opens
    #    the breaker, so the retry is not even sent.
    with pytest.raises(openai.InternalServerError) as err:
        client.chat.completions.create(model="deepseek-chat", messages=HI)
    assert err.value.status_code == 503 and err.value.body["code"] == "PROVIDER_UNAVAILABLE"
    assert len(deepseek.calls("openai.chat")) == 3
    state = health(gw)
    assert state["providers"]["deepseek"]["state"] == "open"
    entry = next(m for m in state["data"] if m["id"] == "deepseek-chat")
    assert entry["status"] == "down" and entry["failures_24h"] == 3

    # 3. While open, deepseek gets no traffic at all: requests go straight to the fallback.
    stream = client.chat.completions.create(
        model="deepseek-chat", messages=HI, stream=True, extra_body={"allow_fallback": True}
    )
    chunks = list(stream)
    assert {c.model for c in chunks} == {"gpt-4o-mini"}
    assert (
        "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Aye, three moons of work."
    )
    assert len(deepseek.calls("openai.chat")) == 3
    with pytest.raises(openai.InternalServerError) as err:
        client.chat.completions.create(model="deepseek-chat", messages=HI)
    assert "circuit open" in err.value.body["message"] and err.value.body["retry_after"] >= 1

    # 4. The provider recovers; after the cooldown one probe goes through and closes the breaker.
    deepseek.fail("openai.chat", None)
    time.sleep(COOLDOWN + 0.1)
    completion = client.chat.completions.create(
        model="deepseek-chat", messages=HI, extra_body={"allow_fallback": True}
    )
    assert completion.model == "deepseek-chat"
    state = health(gw)
    assert state["providers"]["deepseek"]["state"] == "closed"
    entry = next(m for m in state["data"] if m["id"] == "deepseek-chat")
    assert entry["requests_24h"] == 4 and entry["success_rate_24h"] == 0.25
    assert entry["latency_ms"]["p50"] is not None


def test_no_retry_once_streaming_has_begun(
    fallback_gateway: tuple[GatewayProcess, Upstreams], chain: list[str], client: OpenAI
) -> None:
    _, upstreams = fallback_gateway
    upstreams.reset()
    deepseek = upstreams.fakes["deepseek"]
    cut = (
        'data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"deepseek-chat",'
        '"choices":[{"index":0,"delta":{"role":"assistant","content":"Aye, "},"finish_reason":null}]}\n\n'
        'data: {"error": {"message": "upstream crashed", "type": "server_error"}}\n\n'
    )
    deepseek.queue("openai.chat", Reply(sse=cut))
    stream = client.chat.completions.create(
        model="deepseek-chat", messages=HI, stream=True, extra_body={"allow_fallback": True}
    )
    received = []
    with pytest.raises(openai.APIError):
        for chunk in stream:
            received.append(chunk)
    assert "".join(c.choices[0].delta.content or "" for c in received if c.choices) == "Aye, "
    assert len(deepseek.calls("openai.chat")) == 1  # not retried
    assert upstreams.fakes["openai"].calls("openai.chat") == []  # and not sent to a fallback


def test_client_errors_do_not_fall_back(
    fallback_gateway: tuple[GatewayProcess, Upstreams], chain: list[str], client: OpenAI
) -> None:
    _, upstreams = fallback_gateway
    upstreams.reset()
    upstreams.fakes["deepseek"].queue("openai.chat", Reply(fixture="openai/error_context.json"))
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(
            model="deepseek-chat", messages=HI, extra_body={"allow_fallback": True}
        )
    assert err.value.body["code"] == "CONTEXT_OVERFLOW"
    assert upstreams.fakes["openai"].calls("openai.chat") == []


def test_health_is_public_and_lists_every_chat_model(
    fallback_gateway: tuple[GatewayProcess, Upstreams],
) -> None:
    body = health(fallback_gateway[0])
    assert body["window_hours"] == 24
    ids = {m["id"] for m in body["data"]}
    assert "deepseek-chat" in ids and "claude-haiku-4-5" in ids and "monster-gpt" not in ids
    quiet = next(m for m in body["data"] if m["id"] == "claude-haiku-4-5")
    assert quiet["status"] == "unknown" and quiet["success_rate_24h"] is None
