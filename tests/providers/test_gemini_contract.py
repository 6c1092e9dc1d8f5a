"""Gemini generateContent / streamGenerateContent: requests checked field by field, fixtures back."""

from __future__ import annotations

import json

import aiohttp
import pytest

from local_gateway.providers.gemini import GeminiProvider, build_body, to_gemini_schema
from local_gateway.providers.http import is_transient
from mg.errors import InvalidRequestError, ProviderUnavailableError
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

FLASH = model("gemini-3-flash", "google", "gemini")
EMBED = model("embedding-001", "google", "gemini", upstream="gemini-embedding-001")


def adapter(fake: FakeUpstream, session: aiohttp.ClientSession) -> GeminiProvider:
    return GeminiProvider(config(fake, "google"), session)


def test_request_translation_field_by_field() -> None:
    body = build_body(
        request(
            FLASH,
            CONVERSATION,
            max_tokens=300,
            temperature=0.7,
            top_p=0.9,
            stop=["END"],
            seed=7,
            tools=[TRADE_TOOL],
            tool_choice={"type": "function", "function": {"name": "offer_trade"}},
        )
    )
    assert body["systemInstruction"] == {"parts": [{"text": "You are a grumpy dwarf blacksmith."}]}
    assert body["contents"] == [
        {"role": "user", "parts": [{"text": "What do you sell?"}]},
        {
            "role": "model",
            "parts": [
                {"text": "Look at this."},
                {"functionCall": {"name": "offer_trade", "args": {"item_id": "sword_01", "price": 500}}},
            ],
        },
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"name": "offer_trade", "response": {"accepted": False}}},
                {"text": "Too dear. "},
                {"text": "Cheaper?"},
            ],
        },
    ]
    assert body["tools"] == [
        {
            "functionDeclarations": [
                {
                    "name": "offer_trade",
                    "description": "Present an item for sale with a price",
                    "parameters": {
                        "type": "OBJECT",
                        "properties": {"item_id": {"type": "STRING"}, "price": {"type": "INTEGER"}},
                        "required": ["item_id", "price"],
                    },
                }
            ]
        }
    ]
    assert body["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["offer_trade"]}
    }
    assert body["generationConfig"] == {
        "temperature": 0.7,
        "topP": 0.9,
        "maxOutputTokens": 300,
        "stopSequences": ["END"],
        "seed": 7,
    }


def test_json_schema_becomes_response_schema() -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "loot_drop", "schema": LOOT_SCHEMA}}
    config_ = build_body(request(FLASH, response_format=fmt))["generationConfig"]
    assert config_["responseMimeType"] == "application/json"
    schema = config_["responseSchema"]
    assert schema["type"] == "OBJECT" and "additionalProperties" not in schema
    assert schema["properties"]["rarity"] == {
        "type": "STRING",
        "enum": ["common", "uncommon", "rare", "epic", "legendary"],
    }
    assert schema["properties"]["effects"] == {"type": "ARRAY", "items": {"type": "STRING"}}
    assert schema["properties"]["note"] == {"type": "STRING", "nullable": True}


def test_schema_refs_are_inlined() -> None:
    schema = {
        "type": "object",
        "$defs": {"item": {"type": "object", "properties": {"id": {"const": "x"}}}},
        "properties": {
            "a": {"$ref": "#/$defs/item"},
            "b": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
        },
    }
    out = to_gemini_schema(schema)
    assert out["properties"]["a"] == {
        "type": "OBJECT",
        "properties": {"id": {"type": "STRING", "enum": ["x"]}},
    }
    assert out["properties"]["b"] == {"nullable": True, "type": "INTEGER"}


async def test_complete_url_key_and_usage(fake: FakeUpstream, session: aiohttp.ClientSession) -> None:
    result = await adapter(fake, session).complete(request(FLASH))
    sent = fake.calls("gemini.generate")[0]
    assert sent.path == "/v1beta/models/gemini-3-flash:generateContent"
    assert sent.headers["x-goog-api-key"] == "sk-google-secret"
    assert "key" not in sent.query
    assert result.content == "Three moons at the forge, traveller."
    assert result.finish_reason == "stop"
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (18, 9)


async def test_complete_function_call(fake: FakeUpstream, session: aiohttp.ClientSession) -> None:
    fake.queue("gemini.generate", Reply(fixture="gemini/generate_function_call.json"))
    result = await adapter(fake, session).complete(request(FLASH, tools=[TRADE_TOOL]))
    assert result.content == "Here is my finest blade."
    assert result.finish_reason == "tool_calls"
    assert result.tool_calls is not None and len(result.tool_calls) == 1
    call = result.tool_calls[0]
    assert call["id"].startswith("call_") and call["type"] == "function"
    assert call["function"]["name"] == "offer_trade"
    assert json.loads(call["function"]["arguments"]) == {"item_id": "sword_01", "price": 500}
    assert result.usage.completion_tokens == 20  # candidates + thoughts


async def test_stream_uses_sse_and_becomes_deltas(fake: FakeUpstream, session: aiohttp.ClientSession) -> None:
    events = await collect(adapter(fake, session).stream(request(FLASH)))
    sent = fake.calls("gemini.stream")[0]
    assert sent.path == "/v1beta/models/gemini-3-flash:streamGenerateContent"
    assert sent.query == {"alt": "sse"}
    assert events[0].delta == {"role": "assistant", "content": ""}
    assert text_of(events) == "Three moons at the forge, traveller."
    assert [e.finish_reason for e in events if e.finish_reason] == ["stop"]
    assert events[-1].usage is not None and events[-1].usage.completion_tokens == 9


async def test_stream_function_call(fake: FakeUpstream, session: aiohttp.ClientSession) -> None:
    fake.queue("gemini.stream", Reply(fixture="gemini/stream_function_call.sse"))
    events = await collect(adapter(fake, session).stream(request(FLASH, tools=[TRADE_TOOL])))
    calls = [d["tool_calls"][0] for e in events if (d := e.delta) and "tool_calls" in d]
    assert len(calls) == 1 and calls[0]["index"] == 0 and calls[0]["function"]["name"] == "offer_trade"
    assert json.loads(calls[0]["function"]["arguments"]) == {"item_id": "sword_01", "price": 500}
    assert [e.finish_reason for e in events if e.finish_reason] == ["tool_calls"]


@pytest.mark.parametrize(
    ("fixture", "expected", "transient"),
    [
        ("gemini/error_unavailable.json", ProviderUnavailableError, True),
        ("gemini/error_invalid_key.json", ProviderUnavailableError, False),
        ("gemini/error_bad_schema.json", InvalidRequestError, False),
    ],
)
async def test_errors_map_onto_our_codes(
    fake: FakeUpstream, session: aiohttp.ClientSession, fixture: str, expected: type, transient: bool
) -> None:
    fake.queue("gemini.generate", Reply(fixture=fixture))
    with pytest.raises(expected) as err:
        await adapter(fake, session).complete(request(FLASH))
    assert type(err.value) is expected
    assert is_transient(err.value) is transient


async def test_embeddings_batch(fake: FakeUpstream, session: aiohttp.ClientSession) -> None:
    result = await adapter(fake, session).embed(EMBED, ["a sword", "a shield"], None)
    sent = fake.calls("gemini.embed")[0]
    assert sent.path == "/v1beta/models/gemini-embedding-001:batchEmbedContents"
    assert sent.body["requests"][1] == {
        "model": "models/gemini-embedding-001",
        "content": {"parts": [{"text": "a shield"}]},
    }
    assert len(result.vectors) == 2 and len(result.vectors[0]) == 768
