"""Event-stream plumbing for chat: resuming a started stream, replaying a finished completion."""

from __future__ import annotations

from collections.abc import AsyncIterator

from local_gateway.providers.base import Completion, StreamEvent

# Size of the pieces a validated structured answer is replayed in when the caller asked to stream.
REPLAY_PIECE = 24


async def prepend(first: StreamEvent, rest: AsyncIterator[StreamEvent]) -> AsyncIterator[StreamEvent]:
    try:
        yield first
        async for event in rest:
            yield event
    finally:
        await rest.aclose()  # type: ignore[attr-defined]


async def replay(events: list[StreamEvent]) -> AsyncIterator[StreamEvent]:
    for event in events:
        yield event


def as_events(result: Completion) -> list[StreamEvent]:
    """A finished completion as the stream it would have been (for validated structured output)."""
    events = [StreamEvent(delta={"role": "assistant", "content": ""})]
    text = result.content or ""
    events += [
        StreamEvent(delta={"content": text[i : i + REPLAY_PIECE]}) for i in range(0, len(text), REPLAY_PIECE)
    ]
    for index, call in enumerate(result.tool_calls or ()):
        events.append(StreamEvent(delta={"tool_calls": [dict(call, index=index)]}))
    events += [StreamEvent(finish_reason=result.finish_reason), StreamEvent(usage=result.usage)]
    return events
