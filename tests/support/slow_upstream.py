"""A stand-in upstream provider that streams slowly and notices when the gateway hangs up.

The gateway points a provider at it (``MG_DEEPSEEK_BASE_URL``) and serves live keys from it, so
tests can watch a reply arrive in pieces and check that a client's Ctrl-C reaches the upstream
call as a dropped connection.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.support.gateway_process import GatewayProcess, running_gateway


@dataclass
class SlowUpstream:
    words: int = 40
    delay: float = 0.15
    events: list[str] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)
    url: str = ""

    def __post_init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    @staticmethod
    def word(i: int) -> str:
        return f"tok{i:02d}"

    def text(self) -> str:
        return " ".join(self.word(i) for i in range(self.words))

    async def _complete(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        base = {"id": "chatcmpl-up", "created": int(time.time()), "model": body.get("model")}
        if not body.get("stream"):
            return web.json_response(
                dict(
                    base,
                    object="chat.completion",
                    choices=[
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": self.text()},
                            "finish_reason": "stop",
                        }
                    ],
                    usage={
                        "prompt_tokens": 5,
                        "completion_tokens": self.words,
                        "total_tokens": 5 + self.words,
                    },
                )
            )
        self.events.append("start")
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)

        async def send(payload: object) -> None:
            await response.write(b"data: " + json.dumps(payload).encode() + b"\n\n")

        try:
            chunk = dict(base, object="chat.completion.chunk")
            await send(dict(chunk, choices=[{"index": 0, "delta": {"role": "assistant", "content": ""}}]))
            for i in range(self.words):
                await asyncio.sleep(self.delay)
                piece = self.word(i) + (" " if i < self.words - 1 else "")
                await send(
                    dict(chunk, choices=[{"index": 0, "delta": {"content": piece}, "finish_reason": None}])
                )
            await send(dict(chunk, choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}]))
            usage = {"prompt_tokens": 5, "completion_tokens": self.words, "total_tokens": 5 + self.words}
            await send(dict(chunk, choices=[], usage=usage))
            await response.write(b"data: [DONE]\n\n")
            self.events.append("done")
        except (ConnectionError, asyncio.CancelledError):
            self.events.append("disconnected")
            raise
        return response

    def start(self) -> SlowUpstream:
        self._thread.start()

        async def up() -> str:
            app = web.Application()
            app.router.add_post("/v1/chat/completions", self._complete)
            self._runner = web.AppRunner(app, handler_cancellation=True)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            port = self._runner.addresses[0][1]
            return f"http://127.0.0.1:{port}/v1"

        self.url = asyncio.run_coroutine_threadsafe(up(), self._loop).result(10)
        return self

    def wait_for(self, event: str, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if event in self.events:
                return True
            time.sleep(0.02)
        return False

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


@contextmanager
def gateway_with_upstream(
    data_dir: Path, database_url: str | None = None, **upstream_options: Any
) -> Iterator[tuple[GatewayProcess, SlowUpstream]]:
    """A real gateway whose ``deepseek`` provider is a :class:`SlowUpstream` (used by live keys),
    on SQLite in ``data_dir`` or on the PostgreSQL database at ``database_url``."""
    upstream = SlowUpstream(**upstream_options).start()
    env = {"MG_DEEPSEEK_BASE_URL": upstream.url, "MG_DEEPSEEK_API_KEY": "sk-upstream-test"}
    try:
        with running_gateway(data_dir, database_url, extra_env=env) as gateway:
            yield gateway, upstream
    finally:
        upstream.stop()
