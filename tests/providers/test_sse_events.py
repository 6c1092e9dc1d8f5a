"""The shared SSE reader: events split anywhere by the network come out whole and in order."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from local_gateway.providers.http import sse_events

STREAM = (
    'data: {"a":1}\n\n'
    'data: {"b":2}\r\n\r\n'
    ": keep-alive\n"
    "event: content_block_delta\nid: 7\ndata: line1\ndata: line2\n\n"
    "data: héros ⚔\n\n"
    "data: [DONE]\n\n"
).encode()
EVENTS = [
    (None, '{"a":1}'),
    (None, '{"b":2}'),
    ("content_block_delta", "line1\nline2"),
    (None, "héros ⚔"),
    (None, "[DONE]"),
]


class _Body:
    """Stands in for aiohttp's StreamReader: the body arrives in the given pieces."""

    def __init__(self, blocks: list[bytes]) -> None:
        self.blocks = blocks

    async def iter_any(self) -> AsyncIterator[bytes]:
        for block in self.blocks:
            yield block


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, len(STREAM)])
async def test_events_survive_any_split(size: int) -> None:
    blocks = [STREAM[i : i + size] for i in range(0, len(STREAM), size)]
    assert [e async for e in sse_events(_Body(blocks))] == EVENTS  # type: ignore[arg-type]


async def test_last_event_without_its_blank_line() -> None:
    body = _Body([b"event: message_stop\n", b'data: {"c":3}'])
    assert [e async for e in sse_events(body)] == [("message_stop", '{"c":3}')]  # type: ignore[arg-type]
