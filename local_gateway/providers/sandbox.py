"""Placeholder sandbox engine (replaced by the full engine)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from local_gateway.providers import tokens
from local_gateway.providers.base import ChatRequest, Completion, StreamEvent, Usage


class SandboxProvider:
    name = "sandbox"

    def _text(self, request: ChatRequest) -> str:
        last = next((m for m in reversed(request.messages) if m["role"] == "user"), None)
        asked = str(last["content"]) if last else ""
        return f"Aye, you ask about {asked[:40]!r}. Let me think on that, traveller."

    async def complete(self, request: ChatRequest) -> Completion:
        text = self._text(request)
        usage = Usage(tokens.count_messages(request.messages, request.tools), tokens.count_text(text))
        return Completion(text, None, "stop", usage)

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        done = await self.complete(request)
        yield StreamEvent(delta={"role": "assistant", "content": ""})
        words = (done.content or "").split(" ")
        for i, word in enumerate(words):
            await asyncio.sleep(request.context.get("sandbox_chunk_delay", 0.0))
            yield StreamEvent(delta={"content": word + (" " if i < len(words) - 1 else "")})
        yield StreamEvent(finish_reason=done.finish_reason)
        yield StreamEvent(usage=done.usage)
