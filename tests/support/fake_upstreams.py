"""A fake upstream provider: one aiohttp server on a loopback port, in a thread of the test process.

It speaks the three wire formats the gateway's adapters translate — OpenAI chat completions,
embeddings and model list; Anthropic Messages; Gemini generateContent / streamGenerateContent /
batchEmbedContents — answering from the fixtures in ``tests/fixtures/providers`` unless a test
queued other replies. Every request is recorded (path, headers, JSON body) for the contract
tests to check field by field.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import threading
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "providers"


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text("utf-8")


def fixture_json(name: str) -> Any:
    return json.loads(fixture_text(name))


@dataclass
class Reply:
    """One scripted answer: a fixture file, a status + body, a raw SSE text, or a responder."""

    fixture: str | None = None
    status: int = 200
    body: Any = None
    sse: str | None = None
    delay: float = 0.0
    drop: bool = False
    responder: Callable[[dict[str, Any]], Reply] | None = None


@dataclass
class Recorded:
    route: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


def openai_chat(content: str | None, *, model: str = "upstream-model", finish: str = "stop") -> Reply:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    body = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1760000000,
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }
    return Reply(body=body)


def fake_vector(text: str, dims: int) -> list[float]:
    seed = hashlib.sha256(text.encode()).digest()
    raw = [((seed[i % 32] ^ (i * 31)) % 255) / 127.0 - 1.0 for i in range(dims)]
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    return [x / norm for x in raw]


class FakeUpstream:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._queues: dict[str, deque[Reply]] = defaultdict(deque)
        self._sticky: dict[str, Reply] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- control ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def queue(self, route: str, *replies: Reply) -> None:
        """Answer the next requests on ``route`` with these replies, in order."""
        self._queues[route].extend(replies)

    def fail(self, route: str, reply: Reply | None) -> None:
        """Answer every request on ``route`` with ``reply`` until called again with None."""
        if reply is None:
            self._sticky.pop(route, None)
        else:
            self._sticky[route] = reply

    def reset(self) -> None:
        self.requests.clear()
        self._queues.clear()
        self._sticky.clear()

    def calls(self, route: str) -> list[Recorded]:
        return [r for r in self.requests if r.route == route]

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> FakeUpstream:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(self._serve())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="fake-upstream", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("fake upstream did not start")
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        self._loop.close()
        self._loop = None

    def __enter__(self) -> FakeUpstream:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._openai_chat)
        app.router.add_post("/v1/embeddings", self._openai_embeddings)
        app.router.add_get("/v1/models", self._openai_models)
        app.router.add_post("/v1/messages", self._anthropic)
        app.router.add_post("/v1beta/models/{target}", self._gemini)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    # -- handlers --------------------------------------------------------------------------
    async def _record(self, route: str, request: web.Request) -> Any:
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            body = None
        self.requests.append(
            Recorded(
                route,
                request.path,
                dict(request.query),
                {k.lower(): v for k, v in request.headers.items()},
                body,
            )
        )
        return body

    def _next(self, route: str) -> Reply | None:
        if self._queues[route]:
            return self._queues[route].popleft()
        return self._sticky.get(route)

    async def _answer(self, request: web.Request, reply: Reply, body: Any) -> web.StreamResponse:
        if reply.responder is not None:
            reply = reply.responder(body)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.drop:
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=500)
        if reply.fixture and reply.fixture.endswith(".sse"):
            return await self._sse(request, fixture_text(reply.fixture))
        if reply.sse is not None:
            return await self._sse(request, reply.sse)
        if reply.fixture:
            data = fixture_json(reply.fixture)
            if isinstance(data, dict) and "status" in data and "body" in data:
                return web.json_response(data["body"], status=data["status"])
            return web.json_response(data, status=reply.status)
        return web.json_response(reply.body, status=reply.status)

    async def _sse(self, request: web.Request, text: str) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        for event in text.strip("\n").split("\n\n"):
            await response.write(event.encode("utf-8") + b"\n\n")
        await response.write_eof()
        return response

    async def _openai_chat(self, request: web.Request) -> web.StreamResponse:
        body = await self._record("openai.chat", request)
        stream = bool((body or {}).get("stream"))
        default = Reply(fixture="openai/stream.sse" if stream else "openai/chat.json")
        return await self._answer(request, self._next("openai.chat") or default, body)

    async def _openai_embeddings(self, request: web.Request) -> web.StreamResponse:
        body = await self._record("openai.embeddings", request) or {}
        reply = self._next("openai.embeddings")
        if reply is not None:
            return await self._answer(request, reply, body)
        texts = body.get("input") if isinstance(body.get("input"), list) else [body.get("input")]
        dims = int(body.get("dimensions") or 1536)
        data = [
            {"object": "embedding", "index": i, "embedding": fake_vector(str(t), dims)}
            for i, t in enumerate(texts)
        ]
        usage = {"prompt_tokens": 3 * len(texts), "total_tokens": 3 * len(texts)}
        return web.json_response({"object": "list", "data": data, "model": body.get("model"), "usage": usage})

    async def _openai_models(self, request: web.Request) -> web.StreamResponse:
        await self._record("openai.models", request)
        return await self._answer(
            request, self._next("openai.models") or Reply(fixture="openai/models.json"), None
        )

    async def _anthropic(self, request: web.Request) -> web.StreamResponse:
        body = await self._record("anthropic.messages", request)
        stream = bool((body or {}).get("stream"))
        default = Reply(fixture="anthropic/stream.sse" if stream else "anthropic/message.json")
        return await self._answer(request, self._next("anthropic.messages") or default, body)

    async def _gemini(self, request: web.Request) -> web.StreamResponse:
        target = request.match_info["target"]
        _model, _, method = target.partition(":")
        if method == "batchEmbedContents":
            body = await self._record("gemini.embed", request) or {}
            reply = self._next("gemini.embed")
            if reply is not None:
                return await self._answer(request, reply, body)
            rows = []
            for item in body.get("requests") or ():
                text = "".join(p.get("text", "") for p in item["content"]["parts"])
                rows.append({"values": fake_vector(text, int(item.get("outputDimensionality") or 768))})
            return web.json_response({"embeddings": rows})
        route = "gemini.stream" if method == "streamGenerateContent" else "gemini.generate"
        body = await self._record(route, request)
        default = Reply(fixture="gemini/stream.sse" if route == "gemini.stream" else "gemini/generate.json")
        return await self._answer(request, self._next(route) or default, body)


@dataclass
class Upstreams:
    """Several fakes, one per provider, so each can fail on its own."""

    fakes: dict[str, FakeUpstream] = field(default_factory=dict)

    def env(self, bases: dict[str, str] | None = None) -> dict[str, str]:
        out: dict[str, str] = {}
        for provider, fake in self.fakes.items():
            suffix = (bases or {}).get(provider, "/v1")
            out[f"MG_{provider.upper()}_BASE_URL"] = fake.url + suffix
            out[f"MG_{provider.upper()}_API_KEY"] = f"sk-{provider}-upstream-secret"
        return out

    def reset(self) -> None:
        for fake in self.fakes.values():
            fake.reset()

    def stop(self) -> None:
        for fake in self.fakes.values():
            fake.stop()
