"""OpenAI-compatible upstreams: request pass-through, stream filtering, embeddings, errors, discovery."""

from __future__ import annotations

import json

import aiohttp
import pytest

from local_gateway.providers.http import is_transient
from local_gateway.providers.local import LocalDiscovery
from local_gateway.providers.openai_compat import OpenAICompatProvider
from mg.errors import ContextOverflowError, ProviderUnavailableError
from tests.providers.conftest import CONVERSATION, TRADE_TOOL, collect, config, model, request, text_of
from tests.support.fake_upstreams import FakeUpstream, Reply

DEEPSEEK = model("deepseek-chat", "deepseek", "openai")
SMALL = model("text-embedding-3-small", "openai", "openai")


def adapter(
    fake: FakeUpstream, session: aiohttp.ClientSession, provider: str = "deepseek"
) -> OpenAICompatProvider:
    return OpenAICompatProvider(config(fake, provider, "/v1"), session)


async def test_request_passes_through(fake: FakeUpstream, session: aiohttp.ClientSession) -> None:
    fmt = {"type": "json_object"}
    await adapter(fake, session).complete(
        request(
            DEEPSEEK, CONVERSATION, max_tokens=50, tools=[TRADE_TOOL], tool_choice="auto", response_format=fmt
        )
    )
    sent = fake.calls("openai.chat")[0]
    assert sent.headers["authorization"] == "Bearer sk-deepseek-secret"
    assert sent.body["model"] == "deepseek-chat"
    assert sent.body["messages"] == CONVERSATION
    assert sent.body["tools"] == [TRADE_TOOL] and sent.body["tool_choice"] == "auto"
    assert sent.body["response_format"] == fmt and sent.body["max_tokens"] == 50
    assert "stream" not in sent.body


async def test_complete_tool_calls(fake: FakeUpstream, session: aiohttp.ClientSession) -> None:
    fake.queue("openai.chat", Reply(fixture="openai/chat_tools.json"))
    result = await adapter(fake, session).complete(request(DEEPSEEK, tools=[TRADE_TOOL]))
    assert result.finish_reason == "tool_calls" and result.content == "Here, have a look."
    assert result.tool_calls and result.tool_calls[0]["function"]["name"] == "offer_trade"
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (60, 20)


async def test_stream_drops_reasoning_and_asks_for_usage(
    fake: FakeUpstream, session: aiohttp.ClientSession
) -> None:
    events = await collect(adapter(fake, session).stream(request(DEEPSEEK)))
    sent = fake.calls("openai.chat")[0]
    assert sent.body["stream"] is True and sent.body["stream_options"] == {"include_usage": True}
    deltas = [e.delta for e in events if e.delta is not None]
    assert all("reasoning_content" not in d for d in deltas)
    assert text_of(events) == "Aye, three moons of work."
    assert [e.finish_reason for e in events if e.finish_reason] == ["stop"]
    usage = [e.usage for e in events if e.usage]
    assert len(usage) == 1 and usage[0].total_tokens == 28


async def test_stream_tool_calls(fake: FakeUpstream, session: aiohttp.ClientSession) -> None:
    fake.queue("openai.chat", Reply(fixture="openai/stream_tools.sse"))
    events = await collect(adapter(fake, session).stream(request(DEEPSEEK, tools=[TRADE_TOOL])))
    parts = [d["tool_calls"][0] for e in events if (d := e.delta) and d.get("tool_calls")]
    assert parts[0]["id"] == "call_abc"
    assert json.loads("".join(p["function"]["arguments"] for p in parts)) == {
        "item_id": "sword_01",
        "price": 500,
    }


@pytest.mark.parametrize(
    ("fixture", "expected", "transient"),
    [
        ("openai/error_429.json", ProviderUnavailableError, True),
        ("openai/error_503.json", ProviderUnavailableError, True),
        ("openai/error_401.json", ProviderUnavailableError, False),
        ("openai/error_context.json", ContextOverflowError, False),
    ],
)
async def test_errors_map_onto_our_codes(
    fake: FakeUpstream, session: aiohttp.ClientSession, fixture: str, expected: type, transient: bool
) -> None:
    fake.queue("openai.chat", Reply(fixture=fixture))
    with pytest.raises(expected) as err:
        await adapter(fake, session).complete(request(DEEPSEEK))
    assert is_transient(err.value) is transient


async def test_embeddings(fake: FakeUpstream, session: aiohttp.ClientSession) -> None:
    result = await adapter(fake, session, "openai").embed(SMALL, ["one", "two"], 256)
    sent = fake.calls("openai.embeddings")[0]
    assert sent.body == {
        "model": "text-embedding-3-small",
        "input": ["one", "two"],
        "encoding_format": "float",
        "dimensions": 256,
    }
    assert [len(v) for v in result.vectors] == [256, 256] and result.prompt_tokens == 6


async def test_local_discovery(fake: FakeUpstream, session: aiohttp.ClientSession) -> None:
    provider = adapter(fake, session, "local")
    discovery = LocalDiscovery(lambda: provider)
    models = await discovery.models()
    assert [m.id for m in models] == ["local/llama3.2:latest", "local/qwen2.5-coder:7b"]
    assert models[0].provider == "local" and models[0].upstream == "llama3.2:latest"
    assert (await discovery.find("llama3.2:latest")) == models[0]
    assert (await discovery.find("local/qwen2.5-coder:7b")) == models[1]
    await discovery.models()
    assert len(fake.calls("openai.models")) == 1  # cached
