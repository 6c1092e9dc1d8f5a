"""A fake upstream (one per test module) and helpers to drive an adapter against it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest

from local_gateway.providers.base import ChatRequest, ModelInfo, StreamEvent
from local_gateway.providers.http import UpstreamConfig
from tests.support.fake_upstreams import FakeUpstream


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeUpstream]:
    with FakeUpstream() as fake:
        yield fake


@pytest.fixture
def fake(fake_server: FakeUpstream) -> FakeUpstream:
    fake_server.reset()
    return fake_server


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def config(fake: FakeUpstream, provider: str, suffix: str = "") -> UpstreamConfig:
    return UpstreamConfig(
        provider, fake.url + suffix, f"sk-{provider}-secret", f"MG_{provider.upper()}_API_KEY", 5.0
    )


def model(model_id: str, provider: str, api: str, upstream: str | None = None) -> ModelInfo:
    return ModelInfo(
        id=model_id,
        provider=provider,
        upstream=upstream or model_id,
        context_window=200_000,
        max_output=8192,
        input_per_1m=1.0,
        output_per_1m=5.0,
        api=api,
    )


def request(m: ModelInfo, messages: list[dict[str, Any]] | None = None, **kwargs: Any) -> ChatRequest:
    return ChatRequest(
        model=m, messages=messages or [{"role": "user", "content": "Forge me a sword?"}], **kwargs
    )


async def collect(events: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    return [event async for event in events]


def text_of(events: list[StreamEvent]) -> str:
    return "".join((e.delta or {}).get("content") or "" for e in events)


TRADE_TOOL = {
    "type": "function",
    "function": {
        "name": "offer_trade",
        "description": "Present an item for sale with a price",
        "parameters": {
            "type": "object",
            "properties": {"item_id": {"type": "string"}, "price": {"type": "integer"}},
            "required": ["item_id", "price"],
            "additionalProperties": False,
        },
    },
}
LOOT_SCHEMA = {
    "type": "object",
    "properties": {
        "item_name": {"type": "string"},
        "rarity": {"type": "string", "enum": ["common", "uncommon", "rare", "epic", "legendary"]},
        "damage": {"type": "integer"},
        "effects": {"type": "array", "items": {"type": "string"}},
        "note": {"type": ["string", "null"]},
    },
    "required": ["item_name", "rarity", "damage"],
    "additionalProperties": False,
}
CONVERSATION = [
    {"role": "system", "content": "You are a grumpy dwarf blacksmith."},
    {"role": "user", "content": "What do you sell?"},
    {
        "role": "assistant",
        "content": "Look at this.",
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "offer_trade", "arguments": '{"item_id":"sword_01","price":500}'},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": '{"accepted": false}'},
    {
        "role": "user",
        "content": [{"type": "text", "text": "Too dear. "}, {"type": "text", "text": "Cheaper?"}],
    },
]
