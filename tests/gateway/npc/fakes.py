"""A scripted provider: answers from a list, whole or streamed word by word."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from local_gateway.providers.base import ChatRequest, Completion, ModelInfo, StreamEvent, Usage

MODEL = ModelInfo("fake-model", "fake", "fake", 8192, 1024, 0.0, 0.0)


def call(name: str, arguments: Any, call_id: str = "call_1") -> dict[str, Any]:
    args = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": args}}


def reply(content: str | None, calls: list[dict[str, Any]] | None = None) -> Completion:
    return Completion(content, calls, "tool_calls" if calls else "stop", Usage(10, 5))


class Scripted:
    name = "fake"

    def __init__(self, *replies: Completion) -> None:
        self.replies = list(replies)
        self.requests: list[ChatRequest] = []

    async def complete(self, request: ChatRequest) -> Completion:
        self.requests.append(request)
        return self.replies.pop(0)

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        result = await self.complete(request)
        yield StreamEvent(delta={"role": "assistant", "content": ""})
        words = (result.content or "").split(" ")
        for i, word in enumerate(words):
            if word or i:
                yield StreamEvent(delta={"content": word + (" " if i < len(words) - 1 else "")})
        for index, c in enumerate(result.tool_calls or ()):
            args = c["function"]["arguments"]
            head = {"index": index, "id": c["id"], "type": "function"}
            yield StreamEvent(delta={"tool_calls": [{**head, "function": {"name": c["function"]["name"]}}]})
            for j in range(0, len(args), 5):
                yield StreamEvent(
                    delta={"tool_calls": [{"index": index, "function": {"arguments": args[j : j + 5]}}]}
                )
        yield StreamEvent(finish_reason=result.finish_reason)
        yield StreamEvent(usage=result.usage)


def request(
    messages: list[dict[str, Any]] | None = None, tools: list[dict[str, Any]] | None = None
) -> ChatRequest:
    return ChatRequest(model=MODEL, messages=messages or [{"role": "user", "content": "hi"}], tools=tools)
