"""Streaming a chat completion: starting it, relaying its events as chunks, and its accounting.

A stream is opened by :func:`open_stream`, which waits for the upstream's first event — until
then the fallback runner may still try another model — and it is the only look ahead: the HTTP
layer writes whatever the relay yields. :class:`StreamRelay` turns events into OpenAI chunks,
gathers what the client was sent (once, in a :class:`Tally`), and when the stream ends, however
it ends, stores the NPC turn and meters the request.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

from local_gateway.providers import tokens
from local_gateway.providers.base import Completion, StreamEvent, Usage
from local_gateway.providers.sandbox.logprobs import split_by_pieces
from local_gateway.services.billing.metering import Meter, price
from local_gateway.services.inference.call import Call
from local_gateway.services.npc.conversation import ConversationService
from mg.errors import MonsterError

# Size of the pieces a validated structured answer is replayed in when the caller asked to stream.
REPLAY_PIECE = 24


async def open_stream(events: AsyncGenerator[StreamEvent, None]) -> AsyncGenerator[StreamEvent, None]:
    """``events`` once its first event has arrived (failing over is safe until then)."""
    try:
        first = await anext(events)
    except StopAsyncIteration:
        return replay([])
    except BaseException:
        await events.aclose()
        raise
    return prepend(first, events)


async def prepend(
    first: StreamEvent, rest: AsyncGenerator[StreamEvent, None]
) -> AsyncGenerator[StreamEvent, None]:
    try:
        yield first
        async for event in rest:
            yield event
    finally:
        await rest.aclose()


async def replay(events: list[StreamEvent]) -> AsyncGenerator[StreamEvent, None]:
    for event in events:
        yield event


def as_events(result: Completion) -> list[StreamEvent]:
    """A finished completion as the stream it would have been (for validated structured output)."""
    events = [StreamEvent(delta={"role": "assistant", "content": ""})]  # one choice: json_schema has n=1
    text = result.content or ""
    pieces = [text[i : i + REPLAY_PIECE] for i in range(0, len(text), REPLAY_PIECE)]
    # Each piece carries the log probabilities of the tokens that start in it, when asked for.
    logprobs = split_by_pieces(result.logprobs, pieces) if result.logprobs else [None] * len(pieces)
    events += [
        StreamEvent(delta={"content": piece}, logprobs=lp) for piece, lp in zip(pieces, logprobs, strict=True)
    ]
    for index, call in enumerate(result.tool_calls or ()):
        events.append(StreamEvent(delta={"tool_calls": [dict(call, index=index)]}))
    events += [StreamEvent(finish_reason=result.finish_reason), StreamEvent(usage=result.usage)]
    return events


@dataclass
class Tally:
    """What a stream delivered: the text of the first choice (an NPC turn's reply), the text of
    the others (``n > 1``), the first choice's finish reason, the usage."""

    pieces: list[str] = field(default_factory=list)
    other_pieces: list[str] = field(default_factory=list)
    finish: str | None = None
    usage: Usage | None = None

    def add(self, index: int, content: str) -> None:
        (self.pieces if index == 0 else self.other_pieces).append(content)

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    def usage_for(self, call: Call) -> Usage:
        """The provider's usage, or (a stream cut short) the prompt and what was sent, counted here."""
        if self.usage is not None:
            return self.usage
        return call.prompt_usage(tokens.count_text(self.text) + tokens.count_text("".join(self.other_pieces)))


class StreamRelay:
    def __init__(self, meter: Meter, conversations: ConversationService | None) -> None:
        self.meter = meter
        self.conversations = conversations

    async def relay(
        self,
        call: Call,
        events: AsyncGenerator[StreamEvent, None],
        record: bool = True,
        cost: int | None = None,
    ) -> AsyncGenerator[dict[str, Any], None]:
        """The chunks of ``events``; ``record=False`` when the caller has stored and metered
        already (and says what it ``cost``)."""
        tally = Tally()
        status, error = 200, None
        conversation = call.conversation if record else None
        try:
            # aclosing: when the client goes away the upstream call is closed now, not at GC.
            async with aclosing(events):
                async for event in events:
                    if event.usage is not None:
                        tally.usage = event.usage
                        continue
                    index = event.index
                    if event.delta is not None:
                        if event.delta.get("content"):
                            tally.add(index, event.delta["content"])
                        choice = {
                            "index": index,
                            "delta": event.delta,
                            "logprobs": event.logprobs,
                            "finish_reason": None,
                        }
                        yield call.chunk([choice])
                    if event.finish_reason is not None:
                        if index == 0:
                            tally.finish = event.finish_reason
                        finish = event.finish_reason
                        choice = {"index": index, "delta": {}, "logprobs": None, "finish_reason": finish}
                        yield call.chunk([choice])
            if conversation is not None and self.conversations is not None:
                # Stored before [DONE], so a client that reads the thread next finds the turn.
                await self.conversations.commit(conversation)
            if call.params.include_usage:
                usage = tally.usage_for(call)
                yield call.chunk([], usage, cost if cost is not None else price(call.ctx, call.model, usage))
        except MonsterError as exc:
            status, error = exc.status, exc.code
            raise
        except (asyncio.CancelledError, GeneratorExit, ConnectionError):
            # The client went away: what was produced is still recorded (status 499, as nginx).
            status, error = 499, "CLIENT_CLOSED"
            raise
        except Exception:
            status, error = 500, "INTERNAL_ERROR"
            raise
        finally:
            if conversation is not None and self.conversations is not None and status == 499:
                self.conversations.commit_later(conversation, tally.text)
            if record:
                usage, extra = tally.usage_for(call), call.log_extra(tally.finish, streamed=True)
                stream = call.params.stream
                if status == 200:
                    # Committed before the caller writes `data: [DONE]`: a finished stream is on record.
                    await self.meter.record(
                        call.ctx, call.model, call.provider_name, usage, stream=stream, extra=extra
                    )
                else:
                    self.meter.record_later(
                        call.ctx, call.model, call.provider_name, usage,
                        status=status, error_code=error, stream=stream, extra=extra,
                    )  # fmt: skip
