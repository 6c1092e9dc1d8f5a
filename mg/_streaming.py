"""Server-sent events into typed chunks: :class:`Stream` and :class:`AsyncStream`.

A stream yields :class:`~mg.types.ChatCompletionChunk` objects as they arrive, ends at
``data: [DONE]``, raises the matching :mod:`mg.errors` class for an error event sent after the
stream began, and :class:`~mg.errors.APIConnectionError` when the connection ends before
``[DONE]``. Closing it (or leaving its ``with`` block) drops the connection, which tells the
gateway to stop the upstream call.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from mg.errors import ERRORS_BY_CODE, APIConnectionError, from_envelope
from mg.types import ChatCompletion, ChatCompletionChunk, ResponseInfo, Usage

if TYPE_CHECKING:
    import httpx

__all__ = ["AsyncByteStream", "AsyncStream", "ByteStream", "SSEDecoder", "Stream", "StreamAccumulator"]

DONE = "[DONE]"


class SSEDecoder:
    """Line-by-line SSE parsing: feed lines, get the data of each complete event."""

    def __init__(self) -> None:
        self._data: list[str] = []

    def feed(self, line: str) -> str | None:
        line = line.rstrip("\r\n")
        if not line:
            if not self._data:
                return None
            data, self._data = "\n".join(self._data), []
            return data
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        if name == "data":
            self._data.append(value[1:] if value.startswith(" ") else value)
        return None

    def flush(self) -> str | None:
        return self.feed("")


def _decode_event(data: str) -> ChatCompletionChunk:
    try:
        payload = json.loads(data)
    except ValueError as exc:
        raise APIConnectionError(f"The stream sent an event that is not JSON: {data[:80]!r}") from exc
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        code = str(payload["error"].get("code") or "")
        status = ERRORS_BY_CODE[code].status if code in ERRORS_BY_CODE else 500
        raise from_envelope(status, payload)
    if not isinstance(payload, dict):
        raise APIConnectionError("The stream sent an event that is not a JSON object.")
    return ChatCompletionChunk.from_dict(payload)


class StreamAccumulator:
    """Gathers chunks into the :class:`ChatCompletion` they add up to (so far)."""

    def __init__(self, info: ResponseInfo) -> None:
        self.info = info
        self.id = ""
        self.model = ""
        self.created = 0
        self.parts: list[str] = []
        self.tool_calls: dict[int, dict[str, Any]] = {}
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self.extra: dict[str, Any] = {}

    def add(self, chunk: ChatCompletionChunk) -> None:
        self.id = self.id or chunk.id
        self.model = self.model or chunk.model
        self.created = self.created or chunk.created
        if chunk.usage is not None:
            self.usage = chunk.usage
        for key in ("thread_id", "npc_id"):
            if key in chunk.raw:
                self.extra[key] = chunk.raw[key]
        for choice in chunk.choices[:1]:
            if choice.delta.content:
                self.parts.append(choice.delta.content)
            for call in choice.delta.tool_calls or ():
                slot = self.tool_calls.setdefault(
                    int(call.get("index", 0)), {"type": "function", "function": {"name": "", "arguments": ""}}
                )
                if call.get("id"):
                    slot["id"] = call["id"]
                fn = call.get("function") or {}
                slot["function"]["name"] += fn.get("name") or ""
                slot["function"]["arguments"] += fn.get("arguments") or ""
            if choice.finish_reason:
                self.finish_reason = choice.finish_reason

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def completion(self) -> ChatCompletion:
        message: dict[str, Any] = {"role": "assistant", "content": self.text or None}
        if self.tool_calls:
            message["tool_calls"] = [self.tool_calls[i] for i in sorted(self.tool_calls)]
        raw: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "message": message, "finish_reason": self.finish_reason}],
            "usage": None
            if self.usage is None
            else {
                "prompt_tokens": self.usage.prompt_tokens,
                "completion_tokens": self.usage.completion_tokens,
                "total_tokens": self.usage.total_tokens,
            },
            **self.extra,
        }
        return ChatCompletion.from_dict(raw, self.info)


class Stream:
    """A streamed chat completion: iterate for chunks; ``completion`` is what arrived so far."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.info = ResponseInfo.from_headers(response.headers)
        self._acc = StreamAccumulator(self.info)
        self._iterator = self._chunks(response.iter_lines())
        self.done = False

    def _chunks(self, lines: Iterable[str]) -> Iterator[ChatCompletionChunk]:
        import httpx

        decoder = SSEDecoder()
        try:
            for line in lines:
                data = decoder.feed(line)
                if data is None:
                    continue
                if data.strip() == DONE:
                    self.done = True
                    return
                chunk = _decode_event(data)
                self._acc.add(chunk)
                yield chunk
        except httpx.TransportError as exc:
            raise APIConnectionError(f"The stream was cut short: {exc}") from exc
        finally:
            self.response.close()
        raise APIConnectionError("The stream ended before [DONE].")

    def __iter__(self) -> Iterator[ChatCompletionChunk]:
        return self._iterator

    def __next__(self) -> ChatCompletionChunk:
        return next(self._iterator)

    def iter_text(self) -> Iterator[str]:
        """Only the content deltas, as they arrive."""
        for chunk in self:
            if chunk.text:
                yield chunk.text

    @property
    def completion(self) -> ChatCompletion:
        return self._acc.completion()

    def until_done(self) -> ChatCompletion:
        """Read the rest of the stream; the whole completion."""
        for _ in self:
            pass
        return self.completion

    def close(self) -> None:
        self.response.close()

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncStream:
    """The ``async for`` twin of :class:`Stream`."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.info = ResponseInfo.from_headers(response.headers)
        self._acc = StreamAccumulator(self.info)
        self._iterator = self._chunks()
        self.done = False

    async def _chunks(self) -> AsyncIterator[ChatCompletionChunk]:
        import httpx

        decoder = SSEDecoder()
        try:
            async for line in self.response.aiter_lines():
                data = decoder.feed(line)
                if data is None:
                    continue
                if data.strip() == DONE:
                    self.done = True
                    return
                chunk = _decode_event(data)
                self._acc.add(chunk)
                yield chunk
        except httpx.TransportError as exc:
            raise APIConnectionError(f"The stream was cut short: {exc}") from exc
        finally:
            await self.response.aclose()
        raise APIConnectionError("The stream ended before [DONE].")

    def __aiter__(self) -> AsyncIterator[ChatCompletionChunk]:
        return self._iterator

    async def __anext__(self) -> ChatCompletionChunk:
        return await anext(self._iterator)

    async def iter_text(self) -> AsyncIterator[str]:
        async for chunk in self:
            if chunk.text:
                yield chunk.text

    @property
    def completion(self) -> ChatCompletion:
        return self._acc.completion()

    async def until_done(self) -> ChatCompletion:
        async for _ in self:
            pass
        return self.completion

    async def close(self) -> None:
        await self.response.aclose()

    async def __aenter__(self) -> AsyncStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class ByteStream:
    """A response body read piece by piece (thread exports): iterate for ``bytes``.

    Nothing is held beyond the piece being read, so an export of any size runs in flat memory.
    Closing it (or leaving its ``with`` block) drops the connection.
    """

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.headers = response.headers

    def __iter__(self) -> Iterator[bytes]:
        import httpx

        try:
            yield from self.response.iter_bytes()
        except httpx.TransportError as exc:
            raise APIConnectionError(f"The download was cut short: {exc}") from exc
        finally:
            self.response.close()

    def close(self) -> None:
        self.response.close()

    def __enter__(self) -> ByteStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncByteStream:
    """The ``async for`` twin of :class:`ByteStream`."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.headers = response.headers

    async def __aiter__(self) -> AsyncIterator[bytes]:
        import httpx

        try:
            async for piece in self.response.aiter_bytes():
                yield piece
        except httpx.TransportError as exc:
            raise APIConnectionError(f"The download was cut short: {exc}") from exc
        finally:
            await self.response.aclose()

    async def close(self) -> None:
        await self.response.aclose()

    async def __aenter__(self) -> AsyncByteStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
