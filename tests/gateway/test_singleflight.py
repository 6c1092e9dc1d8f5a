"""SingleFlight: callers that ask for the same key at once share one call, and its error."""

from __future__ import annotations

import asyncio

import pytest

from local_gateway.services.core.singleflight import SingleFlight


async def test_concurrent_callers_share_one_call() -> None:
    calls = 0
    gate = asyncio.Event()

    async def fetch() -> int:
        nonlocal calls
        calls += 1
        await gate.wait()
        return 42

    flight: SingleFlight[str, int] = SingleFlight()
    waiters = [asyncio.create_task(flight.run("k", fetch)) for _ in range(10)]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(*waiters) == [42] * 10
    assert calls == 1
    assert await flight.run("k", fetch) == 42 and calls == 2, "a finished call is not reused"


async def test_errors_reach_every_caller() -> None:
    async def fetch() -> int:
        await asyncio.sleep(0)
        raise LookupError("no such key")

    flight: SingleFlight[str, int] = SingleFlight()
    results = await asyncio.gather(*(flight.run("k", fetch) for _ in range(3)), return_exceptions=True)
    assert all(isinstance(r, LookupError) for r in results)


async def test_a_cancelled_caller_leaves_the_call_to_the_others() -> None:
    gate = asyncio.Event()

    async def fetch() -> str:
        await gate.wait()
        return "row"

    flight: SingleFlight[str, str] = SingleFlight()
    first = asyncio.create_task(flight.run("k", fetch))
    second = asyncio.create_task(flight.run("k", fetch))
    await asyncio.sleep(0)
    first.cancel()
    gate.set()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert await second == "row"
