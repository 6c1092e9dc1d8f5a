"""NPC threads through the official openai SDK: extension fields ride in extra_body."""

from __future__ import annotations

import pytest
from openai import OpenAI

from tests.support.gateway_process import GatewayProcess


@pytest.fixture
def client(sqlite_gateway: GatewayProcess) -> OpenAI:
    key = sqlite_gateway.create_key(tier="studio")["api_key"]
    return OpenAI(base_url=sqlite_gateway.base_url, api_key=key, max_retries=0)


def test_thread_id_reaches_sdk_users(client: OpenAI) -> None:
    extra = {
        "npc_id": "ferryman",
        "player_id": "p1",
        "npc_template": "quest_giver",
        "response_style": "terse",
    }
    raw = client.chat.completions.with_raw_response.create(
        model="deepseek-chat",
        messages=[{"role": "user", "content": "Can you take me across?"}],
        extra_body=extra,
    )
    completion = raw.parse()
    assert completion.model_extra["thread_id"] == raw.headers["X-Monster-Thread"]
    assert len((completion.choices[0].message.content or "").split()) <= 15


def test_stream_is_stored_as_it_was_sent(client: OpenAI, sqlite_gateway: GatewayProcess) -> None:
    extra = {"npc_id": "bard", "player_id": "p1"}
    stream = client.chat.completions.create(
        model="deepseek-chat",
        messages=[{"role": "user", "content": "Sing me a song about the sea."}],
        stream=True,
        stream_options={"include_usage": True},
        extra_body=extra,
    )
    chunks = list(stream)
    thread_ids = {c.model_extra["thread_id"] for c in chunks}
    assert len(thread_ids) == 1
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert chunks[-1].usage is not None and text
    http = sqlite_gateway.client(client.api_key)
    stored = http.get(f"/v1/threads/{thread_ids.pop()}/messages").json()["data"]
    assert [m["role"] for m in stored] == ["user", "assistant"] and stored[1]["content"] == text
