"""sse.pump: chunks that are ready together go out in one write, and nothing waits for company."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from local_gateway.api.sse import pump


async def _source(script: list[object], log: list[str]) -> AsyncIterator[str]:
    """Yields strings; an asyncio.Event in the script is waited on, an exception is raised."""
    try:
        for step in script:
            if isinstance(step, asyncio.Event):
                await step.wait()
            elif isinstance(step, BaseException):
                raise step
            else:
                yield str(step)
    finally:
        log.append("closed")


async def test_ready_items_share_a_write_and_a_wait_flushes_first() -> None:
    gate = asyncio.Event()
    writes: list[list[str]] = []
    log: list[str] = []

    async def write(batch: list[str]) -> None:
        writes.append(batch)
        if batch == ["a", "b"]:
            gate.set()  # the next item becomes ready only once the first batch is out

    await pump(_source(["a", "b", gate, "c", "d"], log), write)
    assert writes == [["a", "b"], ["c", "d"]]
    assert log == ["closed"]


async def test_items_before_a_failure_are_written_then_it_raises() -> None:
    writes: list[list[str]] = []
    with pytest.raises(ValueError):
        await pump(_source(["a", ValueError("boom")], []), _append(writes))
    assert writes == [["a"]]


async def test_cancellation_reaches_the_source_where_it_waits() -> None:
    never = asyncio.Event()
    log: list[str] = []
    writes: list[list[str]] = []
    task = asyncio.create_task(pump(_source(["a", never, "b"], log), _append(writes)))
    for _ in range(5):
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert writes == [["a"]]
    assert log == ["closed"], "the source's cleanup ran at its await, as with a plain await"


async def test_a_failed_write_ends_the_waiting_source() -> None:
    gate = asyncio.Event()
    log: list[str] = []

    async def write(batch: list[str]) -> None:
        raise ConnectionResetError("client went away")

    source = _source(["a", gate, "b"], log)
    with pytest.raises(ConnectionResetError):
        await pump(source, write)
    assert log == ["closed"]
    await source.aclose()  # the source is not left running


async def test_plain_async_iterators_work_too() -> None:
    class Counter:
        def __init__(self) -> None:
            self.n = 0

        def __aiter__(self) -> Counter:
            return self

        async def __anext__(self) -> int:
            await asyncio.sleep(0)
            self.n += 1
            if self.n > 3:
                raise StopAsyncIteration
            return self.n

    writes: list[list[int]] = []
    await pump(Counter(), _append(writes))
    assert [i for batch in writes for i in batch] == [1, 2, 3]


def _append(writes: list) -> object:
    async def write(batch: list) -> None:
        writes.append(batch)

    return write


async def test_items_in_hand_lead_the_first_batch_and_never_wait() -> None:
    gate = asyncio.Event()
    writes: list[list[str]] = []

    async def write(batch: list[str]) -> None:
        writes.append(batch)
        gate.set()

    await pump(_source([gate, "b", "c"], []), write, ready=["a"])
    assert writes == [["a"], ["b", "c"]], "the item in hand went out before the source was waited on"
