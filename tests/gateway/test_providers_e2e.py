"""Anthropic, Gemini and local models through a real gateway, judged by the official openai SDK."""

from __future__ import annotations

import json

import openai
import pytest
from openai import OpenAI

from tests.support.fake_upstreams import Reply, Upstreams
from tests.support.gateway_process import GatewayProcess

TOOL = {
    "type": "function",
    "function": {
        "name": "offer_trade",
        "description": "Present an item for sale",
        "parameters": {
            "type": "object",
            "properties": {"item_id": {"type": "string"}, "price": {"type": "integer"}},
            "required": ["item_id", "price"],
        },
    },
}


@pytest.fixture
def client(wired: tuple[GatewayProcess, Upstreams], live_key: str) -> OpenAI:
    return OpenAI(base_url=wired[0].base_url, api_key=live_key, max_retries=0)


def test_anthropic_completion(client: OpenAI, upstreams: Upstreams) -> None:
    response = client.chat.completions.with_raw_response.create(
        model="claude-haiku-4-5",
        messages=[{"role": "system", "content": "Be a dwarf."}, {"role": "user", "content": "Sword?"}],
        max_tokens=100,
    )
    completion = response.parse()
    assert response.headers["x-monster-provider"] == "anthropic"
    assert completion.model == "claude-haiku-4-5"
    assert completion.choices[0].message.content == "Three moons at the forge, and dragon-fire besides."
    assert completion.usage.prompt_tokens == 30 and completion.usage.completion_tokens == 14
    sent = upstreams.fakes["anthropic"].calls("anthropic.messages")[0]
    assert sent.body["system"] == "Be a dwarf." and sent.body["max_tokens"] == 100
    assert sent.headers["x-api-key"] == "sk-anthropic-upstream-secret"
    assert "mg_live_" not in json.dumps(sent.headers)  # the caller's key never goes upstream


def test_anthropic_stream_with_tools(client: OpenAI, upstreams: Upstreams) -> None:
    upstreams.fakes["anthropic"].queue("anthropic.messages", Reply(fixture="anthropic/stream_tool_use.sse"))
    stream = client.chat.completions.create(
        model="claude-haiku-4-5",
        messages=[{"role": "user", "content": "Trade?"}],
        tools=[TOOL],  # type: ignore[list-item]
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    calls = [tc for c in chunks if c.choices for tc in c.choices[0].delta.tool_calls or ()]
    assert text == "Take a look."
    assert calls[0].id == "toolu_01T1x1fJ34qAmk2tNTrN7Up6" and calls[0].function.name == "offer_trade"
    assert json.loads("".join(tc.function.arguments or "" for tc in calls)) == {
        "item_id": "sword_01",
        "price": 500,
    }
    finals = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finals == ["tool_calls"]
    assert chunks[-1].usage.completion_tokens == 89


def test_gemini_stream(client: OpenAI, upstreams: Upstreams) -> None:
    stream = client.chat.completions.create(
        model="gemini-3-flash", messages=[{"role": "user", "content": "Sword?"}], stream=True
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == "Three moons at the forge, traveller."
    sent = upstreams.fakes["google"].calls("gemini.stream")[0]
    assert sent.path.endswith("/models/gemini-3-flash:streamGenerateContent") and sent.query == {"alt": "sse"}


def test_gemini_tool_call(client: OpenAI, upstreams: Upstreams) -> None:
    upstreams.fakes["google"].queue("gemini.generate", Reply(fixture="gemini/generate_function_call.json"))
    completion = client.chat.completions.create(
        model="gemini-3-flash",
        messages=[{"role": "user", "content": "Trade?"}],
        tools=[TOOL],  # type: ignore[list-item]
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls[0].function.name == "offer_trade"


def test_provider_errors_become_our_envelope(client: OpenAI, upstreams: Upstreams) -> None:
    upstreams.fakes["anthropic"].queue(
        "anthropic.messages",
        Reply(fixture="anthropic/error_overloaded.json"),
        Reply(fixture="anthropic/error_overloaded.json"),
    )
    with pytest.raises(openai.InternalServerError) as err:
        client.chat.completions.create(model="claude-haiku-4-5", messages=[{"role": "user", "content": "hi"}])
    assert err.value.status_code == 503
    assert err.value.body["code"] == "PROVIDER_UNAVAILABLE" and err.value.body["is_retryable"] is True
    upstreams.fakes["anthropic"].queue(
        "anthropic.messages", Reply(fixture="anthropic/error_prompt_too_long.json")
    )
    with pytest.raises(openai.BadRequestError) as bad:
        client.chat.completions.create(model="claude-haiku-4-5", messages=[{"role": "user", "content": "hi"}])
    assert bad.value.body["code"] == "CONTEXT_OVERFLOW"


def test_local_models_are_listed_for_live_keys_and_served(
    client: OpenAI, upstreams: Upstreams, wired: tuple[GatewayProcess, Upstreams]
) -> None:
    ids = [m.id for m in client.models.list()]
    assert "local/llama3.2:latest" in ids and "local/qwen2.5-coder:7b" in ids
    test_key = wired[0].create_key(tier="studio")["api_key"]
    sandbox_ids = [m.id for m in OpenAI(base_url=wired[0].base_url, api_key=test_key).models.list()]
    assert not any(i.startswith("local/") for i in sandbox_ids)
    response = client.chat.completions.with_raw_response.create(
        model="local/llama3.2:latest", messages=[{"role": "user", "content": "hi"}]
    )
    assert response.headers["x-monster-provider"] == "local"
    assert response.parse().model == "local/llama3.2:latest"
    assert upstreams.fakes["local"].calls("openai.chat")[0].body["model"] == "llama3.2:latest"


def test_local_models_are_retrieved_by_their_slashed_id(
    client: OpenAI, wired: tuple[GatewayProcess, Upstreams]
) -> None:
    # The SDK sends the "/" percent-encoded; the gateway takes it either way.
    model = client.models.retrieve("local/llama3.2:latest")
    assert model.id == "local/llama3.2:latest" and model.owned_by == "local"
    with wired[0].client(client.api_key) as raw:
        assert raw.get("/v1/models/local/qwen2.5-coder:7b").json()["id"] == "local/qwen2.5-coder:7b"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("local/not-pulled")
    test_key = wired[0].create_key(tier="studio")["api_key"]
    with pytest.raises(openai.NotFoundError):
        OpenAI(base_url=wired[0].base_url, api_key=test_key, max_retries=0).models.retrieve(
            "local/llama3.2:latest"
        )


def test_live_embeddings_go_to_the_provider(client: OpenAI, upstreams: Upstreams) -> None:
    result = client.embeddings.create(model="text-embedding-3-small", input=["a", "b"], dimensions=64)
    assert [len(d.embedding) for d in result.data] == [64, 64]
    sent = upstreams.fakes["openai"].calls("openai.embeddings")[0]
    assert sent.body["dimensions"] == 64 and sent.body["input"] == ["a", "b"]
    if "embedding-001" in {m.id for m in client.models.list()}:
        gemini = client.embeddings.create(model="embedding-001", input="a shield", encoding_format="float")
        assert len(gemini.data[0].embedding) == 768


def test_live_token_array_embeddings_are_forwarded_as_ids(client: OpenAI, upstreams: Upstreams) -> None:
    result = client.embeddings.create(model="text-embedding-3-small", input=[[9906, 1917], [15339]])
    assert len(result.data) == 2 and result.usage.prompt_tokens == 6  # the upstream's own count
    sent = upstreams.fakes["openai"].calls("openai.embeddings")
    assert sent[0].body["input"] == [[9906, 1917], [15339]]
    client.embeddings.create(model="text-embedding-3-small", input=[9906, 1917])
    assert upstreams.fakes["openai"].calls("openai.embeddings")[1].body["input"] == [[9906, 1917]]
    if "embedding-001" in {m.id for m in client.models.list()}:
        with pytest.raises(openai.BadRequestError) as err:
            client.embeddings.create(model="embedding-001", input=[[9906, 1917]])
        assert "token ids" in err.value.body["message"] and "embedding-001" in err.value.body["message"]
        assert upstreams.fakes["google"].calls("gemini.embed") == []
