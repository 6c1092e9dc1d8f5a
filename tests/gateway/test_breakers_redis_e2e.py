"""Circuit breakers shared through Redis by real gateway processes, and a Redis killed mid-run."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import openai
import pytest
from openai import OpenAI

from tests.gateway.conftest import gateway_with_fakes
from tests.support.fake_upstreams import Reply
from tests.support.gateway_process import GatewayProcess
from tests.support.redis_server import RedisServer, private_redis, redis_key_prefix

REDIS_URL = "redis://127.0.0.1:6379/0"
DOWN = Reply(status=503, body={"error": {"message": "upstream down", "type": "server_error"}})
HI = [{"role": "user", "content": "Sword?"}]
BREAKER = {"MG_BREAKER_FAILURES": "3", "MG_BREAKER_COOLDOWN": "60", "MG_UPSTREAM_RETRIES": "0"}


@pytest.fixture(scope="module")
def prefix() -> Iterator[str]:
    with redis_key_prefix(REDIS_URL) as prefix:
        yield prefix


def _client(base_url: str, key: str) -> OpenAI:
    return OpenAI(base_url=base_url, api_key=key, max_retries=0)


def test_a_breaker_opened_through_one_process_stops_traffic_from_the_other(
    tmp_path_factory: pytest.TempPathFactory, prefix: str
) -> None:
    env = {**BREAKER, "MG_REDIS_URL": REDIS_URL, "MG_REDIS_PREFIX": prefix}
    with (
        gateway_with_fakes(tmp_path_factory.mktemp("gw-cb-a"), env) as (first, first_up),
        gateway_with_fakes(tmp_path_factory.mktemp("gw-cb-b"), env) as (second, second_up),
    ):
        first_up.fakes["deepseek"].fail("openai.chat", DOWN)
        one = _client(first.base_url, first.create_key(tier="free", live=True)["api_key"])
        other = _client(second.base_url, second.create_key(tier="free", live=True)["api_key"])
        for _ in range(3):
            with pytest.raises(openai.InternalServerError):
                one.chat.completions.create(model="deepseek-chat", messages=HI)
        assert len(first_up.fakes["deepseek"].calls("openai.chat")) == 3

        # The second process never saw a failure, yet it refuses at once: the breaker is shared.
        with pytest.raises(openai.InternalServerError) as err:
            other.chat.completions.create(model="deepseek-chat", messages=HI)
        assert err.value.body["code"] == "PROVIDER_UNAVAILABLE"
        assert "circuit open" in err.value.body["message"]
        assert second_up.fakes["deepseek"].calls("openai.chat") == []
        state = httpx.get(second.url + "/v1/models/health").json()
        assert state["providers"]["deepseek"]["state"] == "open"
        entry = next(m for m in state["data"] if m["id"] == "deepseek-chat")
        assert entry["failures_24h"] == 3

        # And with fallback allowed, the second process sends the request straight to the next model.
        completion = other.chat.completions.create(
            model="deepseek-chat", messages=HI, extra_body={"allow_fallback": True}
        )
        assert completion.model != "deepseek-chat"
        assert second_up.fakes["deepseek"].calls("openai.chat") == []


def test_redis_killed_mid_run_every_request_still_answers_quickly(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    with private_redis(tmp_path_factory.mktemp("redis")) as server:
        env = {**BREAKER, "MG_REDIS_URL": server.url}
        with gateway_with_fakes(tmp_path_factory.mktemp("gw-cb-outage"), env) as (gw, _):
            _serve_through_an_outage(gw, server)


def _serve_through_an_outage(gw: GatewayProcess, server: RedisServer) -> None:
    client = _client(gw.base_url, gw.create_key(tier="free", live=True)["api_key"])
    assert client.chat.completions.create(model="deepseek-chat", messages=HI).model == "deepseek-chat"
    assert httpx.get(gw.url + "/v1/health", timeout=10).json()["subsystems"]["cache"]["status"] == "ok"
    server.kill()

    # /v1/health says so: the cache is down, the gateway degraded (200: it still answers).
    health = httpx.get(gw.url + "/v1/health", timeout=10)
    assert health.status_code == 200 and health.json()["status"] == "degraded"
    assert health.json()["subsystems"]["cache"]["status"] != "ok"

    for _ in range(3):
        started = time.monotonic()
        health = httpx.get(gw.url + "/v1/models/health", timeout=10)
        assert health.status_code == 200  # model health falls back to this process's own
        assert health.json()["providers"]["deepseek"]["state"] == "closed"
        with pytest.raises(openai.APIStatusError) as err:
            client.chat.completions.create(model="deepseek-chat", messages=HI)
        # Rate limits fail closed (documented); the answer is the envelope, not a hang.
        assert err.value.status_code == 503 and err.value.body["code"] == "SERVICE_UNAVAILABLE"
        assert time.monotonic() - started < 3.0
