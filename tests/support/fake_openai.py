"""A fake upstream speaking OpenAI's chat-completions wire format, for testing the adapter.

A real aiohttp server on a free loopback port, in its own thread (tests drive gateways as
separate processes with synchronous clients). Its ``mode`` picks the behaviour of the next
requests; every request is recorded with its headers, body and whether the caller hung up.

Modes: ``normal``; ``slow`` (the stream sends its first content chunk, then waits for
:meth:`FakeOpenAI.release`); ``paced`` (a pause before each stream event and before the body's
end, as a model generating tokens: each arrives in its own packet); ``error500``; ``timeout``
(never answers); ``malformed`` (a body, or a stream chunk, that is not JSON). Each request
records the client port it came from (which connection).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

API_KEY = "sk-fake-upstream-7f3a9c"
REPLY = ["The ", "forge ", "is ", "cold ", "tonight, ", "traveller."]
# The upstream's own token counts: what the gateway must bill, whatever its own counter says.
USAGE = {"prompt_tokens": 1200, "completion_tokens": 800, "total_tokens": 2000}


@dataclass
class Seen:
    """One request the fake received."""

    headers: dict[str, str]
    body: dict[str, Any]
    # The caller's port: requests sharing it came over one (kept-alive) connection.
    port: int = 0
    finished: threading.Event = field(default_factory=threading.Event)
    disconnected: threading.Event = field(default_factory=threading.Event)


class FakeOpenAI:
    def __init__(self) -> None:
        self.mode = "normal"
        self.requests: list[Seen] = []
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._gate: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeOpenAI:
        started = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(started,), daemon=True)
        self._thread.start()
        if not started.wait(10):
            raise RuntimeError("the fake upstream did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def reset(self, mode: str = "normal") -> None:
        """Pick the mode of the next requests and close the gate of ``slow`` ones."""
        assert self._loop is not None and self._gate is not None
        self.mode = mode
        self.requests.clear()
        self._loop.call_soon_threadsafe(self._gate.clear)

    def release(self) -> None:
        """Let ``slow`` answers finish."""
        assert self._loop is not None and self._gate is not None
        self._loop.call_soon_threadsafe(self._gate.set)

    def wait_for_request(self, timeout: float = 10) -> Seen:
        deadline = time.monotonic() + timeout
        while not self.requests:
            if time.monotonic() > deadline:
                raise TimeoutError("the fake upstream received no request")
            time.sleep(0.01)
        return self.requests[-1]

    def _serve(self, started: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        self._gate = asyncio.Event()
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        # handler_cancellation: a caller that hangs up cancels the handler, which records it.
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        self.port = self._runner.addresses[0][1]
        started.set()
        loop.run_forever()
        loop.close()

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        seen = Seen(dict(request.headers), await request.json(), port=peer[1] if peer else 0)
        self.requests.append(seen)
        try:
            response = await self._answer(request, seen)
        except (asyncio.CancelledError, ConnectionResetError):
            seen.disconnected.set()
            raise
        seen.finished.set()
        return response

    async def _answer(self, request: web.Request, seen: Seen) -> web.StreamResponse:
        mode = self.mode
        if request.headers.get("Authorization") != f"Bearer {API_KEY}":
            return _error(401, "Incorrect API key provided.", "invalid_api_key")
        if mode == "error500":
            return _error(500, "The server had an error while processing your request.", None)
        if mode == "timeout":
            await asyncio.sleep(60)
        stream = bool(seen.body.get("stream"))
        if mode == "malformed" and not stream:
            return web.Response(text='{"choices": [', content_type="application/json")
        if not stream:
            if mode == "slow":
                assert self._gate is not None
                await self._gate.wait()
            return web.json_response(_completion(seen.body))
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        model = seen.body.get("model")
        await response.write(_sse(_chunk(model, {"role": "assistant", "content": ""})))
        if mode == "malformed":
            await response.write(b"data: {not json\n\n")
        await response.write(_sse(_chunk(model, {"content": REPLY[0]})))
        if mode == "slow":
            assert self._gate is not None
            await self._gate.wait()
        pause = 0.005 if mode == "paced" else 0.0
        events = [_sse(_chunk(model, {"content": piece})) for piece in REPLY[1:]]
        events.append(_sse(_chunk(model, {}, finish_reason="stop")))
        if (seen.body.get("stream_options") or {}).get("include_usage"):
            events.append(_sse(dict(_chunk(model, None), choices=[], usage=USAGE)))
        events.append(b"data: [DONE]\n\n")
        for event in events:
            if pause:
                await asyncio.sleep(pause)
            await response.write(event)
        if pause:
            await asyncio.sleep(pause)  # the end of the body comes in a packet of its own
        await response.write_eof()
        return response


def _error(status: int, message: str, code: str | None) -> web.Response:
    body = {"error": {"message": message, "type": "server_error", "param": None, "code": code}}
    return web.json_response(body, status=status)


def _completion(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "chatcmpl-upstream",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "".join(REPLY)},
                "finish_reason": "stop",
            }
        ],
        "usage": USAGE,
    }


def _chunk(model: Any, delta: dict[str, Any] | None, finish_reason: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-upstream",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta or {}, "finish_reason": finish_reason}],
    }


def _sse(data: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(data).encode() + b"\n\n"
