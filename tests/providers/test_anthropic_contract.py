"""Anthropic Messages API: requests checked field by field, responses and streams from fixtures."""

from __future__ import annotations

import json

import aiohttp
import pytest

from local_gateway.providers.anthropic import AnthropicProvider, build_body
from local_gateway.providers.http import is_transient
from mg.errors import ContextOverflowError, InvalidRequestError, ProviderUnavailableError
from tests.providers.conftest import (
    CONVERSATION,
    LOOT_SCHEMA,
    TRADE_TOOL,
    collect,
    config,
    model,
    request,
    text_of,
)
from tests.support.fake_upstreams import FakeUpstream, Reply

HAIKU = model("claude-haiku-4-5", "anthropic", "anthropic")


def adapter(fake: FakeUpstream, session: aiohttp.ClientSession) -> AnthropicProvider:
    return AnthropicProvider(config(fake, "anthropic"), session)


def test_request_translation_field_by_field() -> None:
    body = build_body(
        request(
            HAIKU,
            CONVERSATION,
            max_tokens=300,
            temperature=1.5,
            top_p=0.9,
            stop=["END"],
            tools=[TRADE_TOOL],
            tool_choice="required",
            parallel_tool_calls=False,
            user="player-7",
        ),
        stream=False,
    )
    assert body["model"] == "claude-haiku-4-5"
    assert body["max_tokens"] == 300
    assert body["system"] == "You are a grumpy dwarf blacksmith."
    assert body["temperature"] == 1.0  # clamped to Anthropic's 0-1
    assert body["top_p"] == 0.9
    assert body["stop_sequences"] == ["END"]
    assert body["metadata"] == {"user_id": "player-7"}
    assert body["tools"] == [
        {
            "name": "offer_trade",
            "description": "Present an item for sale with a price",
            "input_schema": TRADE_TOOL["function"]["parameters"],
        }
    ]
    assert body["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}
    assert "stream" not in body
    assert body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "What do you sell?"}]},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Look at this."},
                {
                    "type": "tool_use",
                    "id": "call_1",
                    "name": "offer_trade",
                    "input": {"item_id": "sword_01", "price": 500},
                },
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "call_1", "content": '{"accepted": false}'},
                {"type": "text", "text": "Too dear. "},
                {"type": "text", "text": "Cheaper?"},
            ],
        },
    ]


def test_images_and_named_tool_choice() -> None:
    messages = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
                {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
            ],
        }
    ]
    tool_choice = {"type": "function", "function": {"name": "offer_trade"}}
    body = build_body(request(HAIKU, messages, tools=[TRADE_TOOL], tool_choice=tool_choice), stream=True)
    blocks = body["messages"][0]["content"]
    assert blocks[1] == {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="},
    }
    assert blocks[2] == {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}}
    assert body["tool_choice"] == {"type": "tool", "name": "offer_trade"}
    assert body["stream"] is True
    assert body["max_tokens"] == HAIKU.max_output  # required by the API: the model's maximum


def test_json_schema_becomes_a_forced_tool() -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "loot drop", "schema": LOOT_SCHEMA}}
    body = build_body(request(HAIKU, response_format=fmt), stream=False)
    assert body["tools"][0]["name"] == "loot_drop"
    assert body["tools"][0]["input_schema"] == LOOT_SCHEMA
    assert body["tool_choice"] == {"type": "tool", "name": "loot_drop"}
    json_object = build_body(request(HAIKU, response_format={"type": "json_object"}), stream=False)
    assert "JSON object" in json_object["system"] and "tools" not in json_object


async def test_complete_sends_headers_and_parses_usage(
    fake: FakeUpstream, session: aiohttp.ClientSession
) -> None:
    result = await adapter(fake, session).complete(request(HAIKU))
    sent = fake.calls("anthropic.messages")[0]
    assert sent.path == "/v1/messages"
    assert sent.headers["x-api-key"] == "sk-anthropic-secret"
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in sent.headers
    assert result.content == "Three moons at the forge, and dragon-fire besides."
    assert result.finish_reason == "stop"
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (30, 14)  # cache reads count


async def test_complete_tool_use_drops_thinking(fake: FakeUpstream, session: aiohttp.ClientSession) -> None:
    fake.queue("anthropic.messages", Reply(fixture="anthropic/message_tool_use.json"))
    result = await adapter(fake, session).complete(request(HAIKU, tools=[TRADE_TOOL]))
    assert result.content == "Take a look at this blade."
    assert result.finish_reason == "tool_calls"
    assert result.tool_calls == [
        {
            "id": "toolu_01A09q90qw90lq917835lq9",
            "type": "function",
            "function": {"name": "offer_trade", "arguments": '{"item_id": "sword_01", "price": 500}'},
        }
    ]


async def test_forced_schema_tool_answer_is_content(
    fake: FakeUpstream, session: aiohttp.ClientSession
) -> None:
    fake.queue("anthropic.messages", Reply(fixture="anthropic/message_json_tool.json"))
    fmt = {"type": "json_schema", "json_schema": {"name": "loot_drop", "schema": LOOT_SCHEMA}}
    result = await adapter(fake, session).complete(request(HAIKU, response_format=fmt))
    assert result.tool_calls is None and result.finish_reason == "stop"
    assert json.loads(result.content or "")["item_name"] == "Wyrmfang"


async def test_stream_text_skips_ping(fake: FakeUpstream, session: aiohttp.ClientSession) -> None:
    events = await collect(adapter(fake, session).stream(request(HAIKU)))
    assert fake.calls("anthropic.messages")[0].body["stream"] is True
    deltas = [e.delta for e in events if e.delta is not None]
    assert deltas[0] == {"role": "assistant", "content": ""}
    assert all(set(d) <= {"role", "content", "tool_calls"} for d in deltas)
    assert text_of(events) == "Three moons at the forge."
    assert [e.finish_reason for e in events if e.finish_reason] == ["stop"]
    usage = events[-1].usage
    assert usage is not None and (usage.prompt_tokens, usage.completion_tokens) == (25, 15)


async def test_stream_tool_use_becomes_openai_tool_call_deltas(
    fake: FakeUpstream, session: aiohttp.ClientSession
) -> None:
    fake.queue("anthropic.messages", Reply(fixture="anthropic/stream_tool_use.sse"))
    events = await collect(adapter(fake, session).stream(request(HAIKU, tools=[TRADE_TOOL])))
    assert text_of(events) == "Take a look."  # no thinking text, no signature
    calls = [d["tool_calls"][0] for e in events if (d := e.delta) and "tool_calls" in d]
    assert calls[0] == {
        "index": 0,
        "id": "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
        "type": "function",
        "function": {"name": "offer_trade", "arguments": ""},
    }
    arguments = "".join(c["function"]["arguments"] for c in calls)
    assert json.loads(arguments) == {"item_id": "sword_01", "price": 500}
    assert all(c["index"] == 0 for c in calls)
    assert [e.finish_reason for e in events if e.finish_reason] == ["tool_calls"]
    assert events[-1].usage is not None and events[-1].usage.completion_tokens == 89


async def test_stream_json_schema_streams_as_content(
    fake: FakeUpstream, session: aiohttp.ClientSession
) -> None:
    fake.queue("anthropic.messages", Reply(fixture="anthropic/stream_json_tool.sse"))
    fmt = {"type": "json_schema", "json_schema": {"name": "loot_drop", "schema": LOOT_SCHEMA}}
    events = await collect(adapter(fake, session).stream(request(HAIKU, response_format=fmt)))
    assert json.loads(text_of(events)) == {"item_name": "Axe"}
    assert [e.finish_reason for e in events if e.finish_reason] == ["stop"]


async def test_mid_stream_error_event_raises(fake: FakeUpstream, session: aiohttp.ClientSession) -> None:
    fake.queue("anthropic.messages", Reply(fixture="anthropic/stream_error.sse"))
    seen = []
    with pytest.raises(ProviderUnavailableError):
        async for event in adapter(fake, session).stream(request(HAIKU)):
            seen.append(event)
    assert text_of(seen) == "Three "


@pytest.mark.parametrize(
    ("fixture", "expected", "transient"),
    [
        ("anthropic/error_overloaded.json", ProviderUnavailableError, True),
        ("anthropic/error_auth.json", ProviderUnavailableError, False),
        ("anthropic/error_prompt_too_long.json", ContextOverflowError, False),
    ],
)
async def test_errors_map_onto_our_codes(
    fake: FakeUpstream, session: aiohttp.ClientSession, fixture: str, expected: type, transient: bool
) -> None:
    fake.queue("anthropic.messages", Reply(fixture=fixture))
    with pytest.raises(expected) as err:
        await adapter(fake, session).complete(request(HAIKU))
    assert is_transient(err.value) is transient
    assert "sk-anthropic-secret" not in err.value.message


async def test_bad_request_is_invalid_request(fake: FakeUpstream, session: aiohttp.ClientSession) -> None:
    body = {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": "messages: roles must alternate"},
    }
    fake.queue("anthropic.messages", Reply(status=400, body=body))
    with pytest.raises(InvalidRequestError) as err:
        await adapter(fake, session).stream(request(HAIKU)).__anext__()
    assert "roles must alternate" in err.value.message


async def test_dropped_connection_is_transient(fake: FakeUpstream, session: aiohttp.ClientSession) -> None:
    fake.queue("anthropic.messages", Reply(drop=True))
    with pytest.raises(ProviderUnavailableError) as err:
        await adapter(fake, session).complete(request(HAIKU))
    assert is_transient(err.value)
