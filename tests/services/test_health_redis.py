"""Breakers and model health in Redis: one state for every process, and a Redis outage fails open."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from local_gateway.services.core.clock import Clock
from local_gateway.services.inference.breakers_redis import RedisHealth
from tests.support.redis_server import private_redis, redis_key_prefix

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def prefix() -> Iterator[str]:
    with redis_key_prefix(REDIS_URL) as prefix:
        yield prefix


@pytest.fixture
async def pair(prefix: str) -> AsyncIterator[tuple[RedisHealth, RedisHealth]]:
    """Two trackers, each with its own in-process breakers, as two gateway processes have."""
    clock = Clock()
    first = RedisHealth(REDIS_URL, clock, prefix, failure_threshold=3, cooldown=0.5)
    second = RedisHealth(REDIS_URL, clock, prefix, failure_threshold=3, cooldown=0.5)
    yield first, second
    await first.close()
    await second.close()


async def test_failures_through_one_process_open_the_breaker_for_the_other(
    pair: tuple[RedisHealth, RedisHealth],
) -> None:
    first, second = pair
    await first.record("m1", "pa", False, 10.0, "HTTP 503")
    await second.record("m1", "pa", False, 12.0, "HTTP 503")
    assert (await second.admit("pa")).allowed  # two failures: still closed
    await first.record("m1", "pa", False, 11.0, "HTTP 503")

    refused = await second.admit("pa")
    assert not refused.allowed and 0 < refused.retry_after <= 0.5
    view = await second.breaker("pa")
    assert view["state"] == "open" and view["consecutive_failures"] == 3 and view["last_error"] == "HTTP 503"
    # The second process's own breaker saw one failure: the open state it acts on is the shared one.
    assert (await second.local.breaker("pa"))["state"] == "closed"

    snapshot = await first.snapshot()
    assert snapshot["models"]["m1"]["requests"] == 3 and snapshot["models"]["m1"]["failures"] == 3
    assert snapshot["providers"]["pa"]["times_opened"] == 1


async def test_one_probe_across_processes_and_its_success_closes_for_all(
    pair: tuple[RedisHealth, RedisHealth],
) -> None:
    first, second = pair
    for _ in range(3):
        await first.record("m1", "pa", False, 5.0, "timeout")
    await asyncio.sleep(0.6)  # past the cooldown: half-open

    admissions = await asyncio.gather(*(tracker.admit("pa") for tracker in (first, second) * 4))
    assert [a.probe for a in admissions].count(True) == 1
    assert sum(1 for a in admissions if a.allowed) == 1

    await second.record("m1", "pa", True, 42.0)
    assert (await first.admit("pa")).allowed
    assert (await first.breaker("pa"))["state"] == "closed"
    health = (await first.snapshot())["models"]["m1"]
    assert health["successes"] == 1 and health["latency_ms"]["p50"] == 42.0


async def test_a_failed_probe_opens_it_again_everywhere(pair: tuple[RedisHealth, RedisHealth]) -> None:
    first, second = pair
    for _ in range(3):
        await first.record("m1", "pa", False, 5.0, "down")
    await asyncio.sleep(0.6)
    assert (await second.admit("pa")).probe
    await second.record("m1", "pa", False, 5.0, "still down")
    assert not (await first.admit("pa")).allowed
    assert (await first.breaker("pa"))["times_opened"] == 2


async def test_redis_killed_mid_run_fails_open_to_the_process_breaker_without_hanging(
    tmp_path: Path,
) -> None:
    with private_redis(tmp_path) as server:
        tracker = RedisHealth(server.url, Clock(), "mg:", failure_threshold=2, cooldown=30.0)
        await tracker.record("m1", "pa", True, 20.0)
        assert (await tracker.snapshot())["models"]["m1"]["requests"] == 1
        assert tracker.shared
        server.kill()

        started = time.monotonic()
        assert (await tracker.admit("pa")).allowed  # fails open: the local breaker is closed
        await tracker.record("m1", "pa", False, 5.0, "down")
        await tracker.record("m1", "pa", False, 5.0, "down")
        # The local breaker saw every outcome, so it opens on its own and keeps protecting.
        assert not (await tracker.admit("pa")).allowed
        snapshot = await tracker.snapshot()
        assert snapshot["providers"]["pa"]["state"] == "open"
        assert snapshot["models"]["m1"]["requests"] == 3
        assert time.monotonic() - started < 2.0
        assert not tracker.shared
        await tracker.close()


async def test_a_redis_that_stops_answering_costs_one_short_wait_not_a_hang(tmp_path: Path) -> None:
    with private_redis(tmp_path) as server:
        tracker = RedisHealth(server.url, Clock(), "mg:", failure_threshold=2, timeout=0.3)
        assert (await tracker.admit("pa")).allowed  # connected, shared
        server.process.send_signal(signal.SIGSTOP)  # the socket stays open; nothing answers
        try:
            started = time.monotonic()
            assert (await tracker.admit("pa")).allowed
            first = time.monotonic() - started
            assert first < 1.0 and not tracker.shared
            started = time.monotonic()
            for _ in range(20):  # left alone now: every call answers from the process at once
                await tracker.record("m1", "pa", True, 3.0)
                assert (await tracker.admit("pa")).allowed
            assert time.monotonic() - started < 0.2
        finally:
            server.process.send_signal(signal.SIGCONT)
        await tracker.close()
