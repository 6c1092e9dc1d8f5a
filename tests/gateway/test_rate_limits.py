"""Per-key rate limits: the tier table, the test-key cap, the headers, and exactness under load."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from local_gateway.services.accounts.limits_redis import RedisLimiter
from local_gateway.services.core.clock import Clock
from mg.errors import ServiceUnavailableError
from tests.support.envelope import assert_envelope
from tests.support.gateway_process import GatewayProcess, running_gateway
from tests.support.redis_server import redis_key_prefix

REDIS_URL = "redis://127.0.0.1:6379/0"
BODY = {"model": "deepseek-chat", "messages": [{"role": "user", "content": "hi"}]}
SPEC_TIERS = {"free": 10, "payg": 30, "starter": 60, "pro": 300, "studio": 1000}


@pytest.fixture(scope="module")
def default_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    """A gateway with MG_TEST_KEY_RPM left at its default."""
    with running_gateway(tmp_path_factory.mktemp("gw-limits"), extra_env={"MG_TEST_KEY_RPM": ""}) as gw:
        yield gw


@pytest.fixture(scope="module")
def redis_prefix() -> Iterator[str]:
    with redis_key_prefix(REDIS_URL) as prefix:
        yield prefix


def test_test_keys_get_five_a_minute_and_whoami_is_free(default_gateway: GatewayProcess) -> None:
    key = default_gateway.create_key(tier="studio")["api_key"]
    with default_gateway.client(key) as client:
        for _ in range(3):
            who = client.get("/v1/whoami")
            assert who.status_code == 200 and who.headers["X-RateLimit-Remaining"] == "5"
        assert who.json()["rate_limits"]["requests_per_minute"] == 5
        remaining = []
        for _ in range(5):
            ok = client.post("/v1/chat/completions", json=BODY)
            assert ok.status_code == 200
            assert ok.headers["X-RateLimit-Limit"] == "5"
            remaining.append(int(ok.headers["X-RateLimit-Remaining"]))
        assert remaining == [4, 3, 2, 1, 0]
        reset = int(ok.headers["X-RateLimit-Reset"])
        over = client.post("/v1/chat/completions", json=BODY)
        error = assert_envelope(over, 429, "RATE_LIMITED")
        assert error["is_retryable"] is True and "5 req/min" in error["message"]
        assert 1 <= error["retry_after"] <= 60 and over.headers["Retry-After"] == str(error["retry_after"])
        assert error["reset_at"].endswith("Z")
        assert datetime.fromisoformat(error["reset_at"]).timestamp() == reset
        assert over.headers["X-RateLimit-Remaining"] == "0"
        # Other consuming routes are limited too; whoami still answers.
        assert_envelope(client.get("/v1/models"), 429, "RATE_LIMITED")
        assert client.get("/v1/whoami").status_code == 200


def test_limits_follow_the_tier_table(default_gateway: GatewayProcess) -> None:
    for tier, rpm in SPEC_TIERS.items():
        key = default_gateway.create_key(tier=tier, live=True)["api_key"]
        with default_gateway.client(key) as client:
            who = client.get("/v1/whoami")
        assert who.json()["rate_limits"]["requests_per_minute"] == rpm, tier
        assert who.headers["X-RateLimit-Limit"] == str(rpm)
    # A test key never exceeds MG_TEST_KEY_RPM, whatever its own limit says.
    for own, effective in ((3, 3), (50, 5)):
        key = default_gateway.create_key(tier="studio", rpm=own)["api_key"]
        with default_gateway.client(key) as client:
            assert client.get("/v1/whoami").headers["X-RateLimit-Limit"] == str(effective)


def test_live_key_limit_names_the_tier(default_gateway: GatewayProcess) -> None:
    key = default_gateway.create_key(tier="free", live=True)["api_key"]
    with default_gateway.client(key) as client:
        statuses = [client.get("/v1/models").status_code for _ in range(11)]
        over = client.get("/v1/models")
    assert statuses == [200] * 10 + [429]
    assert "Free tier (10 req/min)" in assert_envelope(over, 429, "RATE_LIMITED")["message"]


async def _burst(urls: list[str], api_key: str, count: int) -> list[int]:
    headers = {"Authorization": f"Bearer {api_key}"}
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
    async with httpx.AsyncClient(headers=headers, timeout=60, limits=limits) as client:
        responses = await asyncio.gather(
            *(client.post(f"{urls[i % len(urls)]}/v1/chat/completions", json=BODY) for i in range(count))
        )
    return [r.status_code for r in responses]


def test_exact_under_concurrency_in_process(sqlite_gateway: GatewayProcess) -> None:
    key = sqlite_gateway.create_key(tier="studio", rpm=60)["api_key"]
    statuses = asyncio.run(_burst([sqlite_gateway.url], key, 100))
    assert (statuses.count(200), statuses.count(429)) == (60, 40)


def test_exact_under_concurrency_across_processes_with_redis(
    pg_url: str, redis_prefix: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    env = {"MG_REDIS_URL": REDIS_URL, "MG_REDIS_PREFIX": redis_prefix}
    with (
        running_gateway(tmp_path_factory.mktemp("gw-redis-a"), pg_url, env) as first,
        running_gateway(tmp_path_factory.mktemp("gw-redis-b"), pg_url, env) as second,
    ):
        key = first.create_key(tier="studio", rpm=60)["api_key"]
        statuses = asyncio.run(_burst([first.url, second.url], key, 100))
        assert (statuses.count(200), statuses.count(429)) == (60, 40)
        with second.client(key) as client:
            who = client.get("/v1/whoami")
        assert who.headers["X-RateLimit-Remaining"] == "0", "both processes see one window"


async def test_redis_window_slides_with_the_clock(redis_prefix: str) -> None:
    clock = Clock()
    limiter = RedisLimiter(REDIS_URL, clock, redis_prefix)
    try:
        bucket = f"key_{secrets.token_hex(4)}"
        assert (await limiter.peek(bucket, 3)).remaining == 3
        decisions = [await limiter.hit(bucket, 3) for _ in range(4)]
        assert [d.allowed for d in decisions] == [True, True, True, False]
        assert [d.remaining for d in decisions] == [2, 1, 0, 0]
        assert decisions[-1].retry_after == 60 and (await limiter.peek(bucket, 3)).remaining == 0
        clock.advance(30)
        assert not (await limiter.hit(bucket, 3)).allowed
        clock.advance(30.5)
        assert (await limiter.hit(bucket, 3)).allowed, "the first hits left the window"
    finally:
        await limiter.close()


async def test_unreachable_redis_is_service_unavailable() -> None:
    limiter = RedisLimiter("redis://127.0.0.1:1/0", Clock())
    try:
        with pytest.raises(ServiceUnavailableError):
            await limiter.hit("key_x", 5)
    finally:
        await limiter.close()


def test_reset_header_is_epoch_seconds(sqlite_gateway: GatewayProcess) -> None:
    key = sqlite_gateway.create_key(tier="studio", rpm=2)["api_key"]
    with sqlite_gateway.client(key) as client:
        reset = int(client.get("/v1/models").headers["X-RateLimit-Reset"])
    assert 0 < reset - datetime.now(UTC).timestamp() <= 61
