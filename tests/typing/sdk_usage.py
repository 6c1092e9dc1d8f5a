"""What a user's type checker sees of the SDK: mypy checks this file (it is not a pytest module).

Each ``assert_type`` fails the mypy step of ``scripts/test`` if an overload or a return type of
the clients changes.
"""

from __future__ import annotations

from typing import Any, assert_type

from mg import AsyncMonsterClient, MonsterClient
from mg.client import AsyncByteStream, AsyncStream, ByteStream, Stream
from mg.errors import MonsterError
from mg.types import ChatCompletion, ChatCompletionChunk, Model

MESSAGES = [{"role": "user", "content": "Got any swords?"}]


def sync_client(mg: MonsterClient, flag: bool) -> None:
    assert_type(mg.chat.completions.create(model="m", messages=MESSAGES), ChatCompletion)
    assert_type(mg.chat.completions.create(model="m", messages=MESSAGES, stream=False), ChatCompletion)
    stream = mg.chat.completions.create(model="m", messages=MESSAGES, stream=True, npc_id="smith")
    assert_type(stream, Stream)
    for chunk in stream:
        assert_type(chunk, ChatCompletionChunk)
    assert_type(stream.until_done(), ChatCompletion)
    either = mg.chat.completions.create(model="m", messages=MESSAGES, stream=flag)
    assert_type(either, ChatCompletion | Stream)
    assert_type(mg.threads.speak("thr_1", npc_id="smith"), ChatCompletion)
    assert_type(mg.threads.speak("thr_1", stream=True), Stream)
    assert_type(mg.threads.export_stream(format="jsonl"), ByteStream)
    assert_type(mg.threads.export(format="jsonl"), str)
    assert_type(mg.models.list(), list[Model])
    assert_type(mg.threads.list(limit=10), list[dict[str, Any]])
    assert_type(mg.threads.get("thr_1"), dict[str, Any])
    assert_type(mg.debug.crashes.trends(game_id="g"), list[dict[str, Any]])
    assert_type(mg.whoami(), dict[str, Any])
    assert_type(mg.request("GET", "/v1/new-route"), Any)
    mg.chat.completions.create(model="m", messages=MESSAGES, temprature=0.2)  # type: ignore[call-overload]
    mg.chat.completions.create(messages=MESSAGES)  # type: ignore[call-overload]


async def async_client(mg: AsyncMonsterClient) -> None:
    assert_type(await mg.chat.completions.create(model="m", messages=MESSAGES), ChatCompletion)
    stream = await mg.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    assert_type(stream, AsyncStream)
    async for chunk in stream:
        assert_type(chunk, ChatCompletionChunk)
    assert_type(await stream.until_done(), ChatCompletion)
    assert_type(await mg.threads.speak("thr_1", stream=True), AsyncStream)
    assert_type(await mg.threads.speak("thr_1"), ChatCompletion)
    assert_type(await mg.threads.export_stream(format="jsonl"), AsyncByteStream)
    assert_type(await mg.models.list(), list[Model])
    assert_type(await mg.threads.messages("thr_1", limit=5), list[dict[str, Any]])
    assert_type(await mg.debug.crashes.get("crash_1"), dict[str, Any])
    assert_type(await mg.symbols.check(["ab" * 32]), dict[str, Any])
    assert_type(await mg.whoami(), dict[str, Any])


def errors(exc: MonsterError) -> None:
    assert_type(exc.request_id, str | None)
    assert_type(exc.attempts, int)
    assert_type(exc.status, int)
