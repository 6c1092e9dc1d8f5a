"""The SDK's crash, analysis, usage, credits and log resources, and streamed speak (MockTransport)."""

from __future__ import annotations

import json

import httpx
import pytest

from mg import AsyncMonsterClient, MonsterClient
from mg.errors import NotFoundError

BASE = "http://gw.test"


def recording(answer: object = None) -> tuple[MonsterClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200, json=answer if answer is not None else {"object": "list", "data": [{"a": 1}]}
        )

    return MonsterClient("mg_test_abc", BASE, transport=httpx.MockTransport(handler)), seen


def test_crash_routes_and_their_bodies() -> None:
    client, seen = recording()
    assert client.debug.crashes.trends(game_id="dungeon", since="2026-11-01T00:00:00Z") == [{"a": 1}]
    client.debug.crashes.list(status="new", limit=5)
    client.debug.crashes.get("crash_1")
    client.debug.crashes.update("crash_1", status="resolved")
    client.debug.analyze(crash_id="crash_1", question="Why level 3?")
    got = [
        (r.method, r.url.path, dict(r.url.params), json.loads(r.content) if r.content else None) for r in seen
    ]
    assert got == [
        ("GET", "/v1/debug/crashes/trends", {"game_id": "dungeon", "since": "2026-11-01T00:00:00Z"}, None),
        ("GET", "/v1/debug/crashes", {"status": "new", "limit": "5"}, None),
        ("GET", "/v1/debug/crashes/crash_1", {}, None),
        ("PATCH", "/v1/debug/crashes/crash_1", {}, {"status": "resolved"}),
        ("POST", "/v1/debug/analyze", {}, {"crash_id": "crash_1", "question": "Why level 3?"}),
    ]


def test_usage_credits_logs_and_messages_order() -> None:
    client, seen = recording()
    client.usage.get(days=30)
    client.credits.balance()
    client.logs.list(limit=10)
    client.threads.messages("thr_1", limit=100, order="desc")
    assert [(r.url.path, dict(r.url.params)) for r in seen] == [
        ("/v1/usage", {"days": "30"}),
        ("/v1/credits/balance", {}),
        ("/v1/logs", {"limit": "10"}),
        ("/v1/threads/thr_1/messages", {"limit": "100", "order": "desc"}),
    ]


def test_a_missing_route_is_a_not_found_error() -> None:
    body = {"error": {"type": "not_found", "code": "NOT_FOUND", "message": "No route for GET /v1/usage."}}
    transport = httpx.MockTransport(lambda r: httpx.Response(404, json=body))
    with pytest.raises(NotFoundError, match="No route"):
        MonsterClient("k", BASE, transport=transport, max_retries=0).usage.get()


async def test_speak_streams_when_asked() -> None:
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m", "npc_id": "healer_1",
             "choices": [{"index": 0, "delta": {"content": "Be well."}, "finish_reason": None}]}  # fmt: skip
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = b"data: " + json.dumps(chunk).encode() + b"\n\ndata: [DONE]\n\n"
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    async with AsyncMonsterClient("k", BASE, transport=httpx.MockTransport(handler)) as client:
        stream = await client.threads.speak(
            "thr_g", messages=[{"role": "user", "content": "Hi"}], stream=True
        )
        texts = [(c.text, c.raw["npc_id"]) async for c in stream]
    assert texts == [("Be well.", "healer_1")]
    assert json.loads(seen[0].content) == {
        "messages": [{"role": "user", "content": "Hi"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
