"""Structured output through a real gateway: a 200 always validates; otherwise a clear error."""

from __future__ import annotations

import json

import httpx
import openai
import pytest
from jsonschema import validate
from openai import OpenAI

from tests.support.fake_upstreams import Reply, Upstreams, openai_chat
from tests.support.gateway_process import GatewayProcess

LOOT = {
    "type": "object",
    "properties": {
        "item_name": {"type": "string"},
        "rarity": {"type": "string", "enum": ["common", "uncommon", "rare", "epic", "legendary"]},
        "damage": {"type": "integer"},
        "effects": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["item_name", "rarity", "damage"],
}
FORMAT = {"type": "json_schema", "json_schema": {"name": "loot_drop", "schema": LOOT}}
ASK = [{"role": "user", "content": "Generate a loot drop for a dragon boss"}]
GOOD = '{"item_name": "Wyrmfang", "rarity": "legendary", "damage": 120, "effects": ["burn"]}'
BAD_RARITY = '{"item_name": "Wyrmfang", "rarity": "mythic", "damage": 120}'


@pytest.fixture
def client(wired: tuple[GatewayProcess, Upstreams], live_key: str) -> OpenAI:
    return OpenAI(base_url=wired[0].base_url, api_key=live_key, max_retries=0)


@pytest.fixture
def http(wired: tuple[GatewayProcess, Upstreams], live_key: str) -> httpx.Client:
    return wired[0].client(live_key)


def test_chat_json_schema_answer_validates(client: OpenAI, upstreams: Upstreams) -> None:
    upstreams.fakes["deepseek"].queue("openai.chat", openai_chat("```json\n" + GOOD + "\n```"))
    completion = client.chat.completions.create(model="deepseek-chat", messages=ASK, response_format=FORMAT)  # type: ignore[arg-type]
    value = json.loads(completion.choices[0].message.content or "")
    validate(value, LOOT)
    sent = upstreams.fakes["deepseek"].calls("openai.chat")[0]
    assert sent.body["response_format"] == FORMAT


def test_invalid_answer_is_re_asked_with_the_error(http: httpx.Client, upstreams: Upstreams) -> None:
    fake = upstreams.fakes["deepseek"]
    fake.queue("openai.chat", openai_chat(BAD_RARITY), openai_chat(GOOD))
    response = http.post(
        "/v1/structured", json={"model": "deepseek-chat", "messages": ASK, "response_format": FORMAT}
    )
    assert response.status_code == 200, response.text
    assert response.headers["x-monster-repaired"] == "1"
    body = response.json()
    message = body["choices"][0]["message"]
    assert message["parsed"] == json.loads(GOOD) and json.loads(message["content"]) == json.loads(GOOD)
    assert body["usage"]["prompt_tokens"] == 20  # both calls are counted
    second = fake.calls("openai.chat")[1].body["messages"]
    assert second[-2] == {"role": "assistant", "content": BAD_RARITY}
    assert "'mythic' is not one of" in second[-1]["content"] and "rarity" in second[-1]["content"]


def test_twice_invalid_is_an_error_envelope(http: httpx.Client, upstreams: Upstreams) -> None:
    upstreams.fakes["deepseek"].queue(
        "openai.chat", openai_chat("The dragon drops gold."), openai_chat(BAD_RARITY)
    )
    response = http.post(
        "/v1/structured", json={"model": "deepseek-chat", "messages": ASK, "response_format": FORMAT}
    )
    assert response.status_code == 502
    error = response.json()["error"]
    assert error["code"] == "INVALID_MODEL_OUTPUT" and error["is_retryable"] is True
    assert "could not produce output that validates" in error["message"]


def test_stream_with_schema_is_validated_before_it_is_sent(client: OpenAI, upstreams: Upstreams) -> None:
    upstreams.fakes["deepseek"].queue("openai.chat", openai_chat("not json"), openai_chat(GOOD))
    stream = client.chat.completions.create(
        model="deepseek-chat",
        messages=ASK,
        response_format=FORMAT,
        stream=True,  # type: ignore[arg-type]
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    validate(json.loads(text), LOOT)
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) > 1
    assert all(
        not c.get("stream") for c in (r.body for r in upstreams.fakes["deepseek"].calls("openai.chat"))
    )


@pytest.mark.parametrize(
    ("schema", "needle"),
    [
        ({"type": "object", "properties": {"damage": {"type": "int"}}}, "not a valid JSON Schema"),
        ({"type": "string"}, "must describe a JSON object"),
        (
            {"type": "object", "properties": {"a": {"$ref": "http://example.com/x.json"}}},
            "only local references",
        ),
    ],
)
def test_bad_schemas_are_400_before_any_call(
    http: httpx.Client,
    upstreams: Upstreams,
    schema: dict,
    needle: str,  # type: ignore[type-arg]
) -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}
    response = http.post(
        "/v1/structured", json={"model": "deepseek-chat", "messages": ASK, "response_format": fmt}
    )
    assert response.status_code == 400
    assert needle in response.json()["error"]["message"]
    assert upstreams.fakes["deepseek"].calls("openai.chat") == []


def test_structured_needs_a_json_schema(http: httpx.Client) -> None:
    response = http.post("/v1/structured", json={"model": "deepseek-chat", "messages": ASK})
    assert response.status_code == 400 and "response_format" in response.json()["error"]["message"]


def test_anthropic_schema_answer_arrives_as_content(client: OpenAI, upstreams: Upstreams) -> None:
    upstreams.fakes["anthropic"].queue(
        "anthropic.messages", Reply(fixture="anthropic/message_json_tool.json")
    )
    completion = client.chat.completions.create(
        model="claude-haiku-4-5", messages=ASK, response_format=FORMAT
    )  # type: ignore[arg-type]
    validate(json.loads(completion.choices[0].message.content or ""), LOOT)
    assert completion.choices[0].finish_reason == "stop"
    sent = upstreams.fakes["anthropic"].calls("anthropic.messages")[0].body
    assert sent["tool_choice"] == {"type": "tool", "name": "loot_drop"}


def test_openai_sdk_rejects_nothing_it_would_accept(client: OpenAI, upstreams: Upstreams) -> None:
    upstreams.fakes["deepseek"].queue("openai.chat", openai_chat("[]"), openai_chat("{}"))
    with pytest.raises(openai.APIStatusError) as err:
        client.chat.completions.create(model="deepseek-chat", messages=ASK, response_format=FORMAT)  # type: ignore[arg-type]
    assert err.value.status_code == 502


def test_test_keys_get_schema_valid_sandbox_answers(wired: tuple[GatewayProcess, Upstreams]) -> None:
    key = wired[0].create_key(tier="free")["api_key"]
    with wired[0].client(key) as http:
        response = http.post(
            "/v1/structured", json={"model": "deepseek-chat", "messages": ASK, "response_format": FORMAT}
        )
    assert response.status_code == 200, response.text
    assert response.headers["x-monster-provider"] == "sandbox"
    message = response.json()["choices"][0]["message"]
    validate(message["parsed"], LOOT)
    assert json.loads(message["content"]) == message["parsed"]
