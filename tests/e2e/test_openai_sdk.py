"""The official openai SDK against a real gateway process (SQLite and PostgreSQL)."""

from __future__ import annotations

import openai
import pytest
from openai import OpenAI

from tests.support.gateway_process import GatewayProcess


@pytest.fixture
def client(gateway: GatewayProcess, api_key: str) -> OpenAI:
    return OpenAI(base_url=gateway.base_url, api_key=api_key, max_retries=0)


def test_chat_completion(client: OpenAI) -> None:
    response = client.chat.completions.create(
        model="deepseek-chat",
        messages=[
            {"role": "system", "content": "You are a grumpy dwarf blacksmith in a fantasy RPG."},
            {"role": "user", "content": "Can you forge me a legendary sword?"},
        ],
        max_tokens=150,
    )
    assert response.object == "chat.completion"
    assert response.model == "deepseek-chat"
    assert response.id.startswith("chatcmpl-")
    choice = response.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content
    assert choice.finish_reason in ("stop", "length")
    assert response.usage.total_tokens == response.usage.prompt_tokens + response.usage.completion_tokens


def test_streaming_matches_non_streaming(client: OpenAI) -> None:
    messages = [{"role": "user", "content": "Generate a quest description for a haunted castle."}]
    whole = client.chat.completions.create(model="deepseek-chat", messages=messages)
    stream = client.chat.completions.create(
        model="deepseek-chat", messages=messages, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    ids = {c.id for c in chunks}
    assert len(ids) == 1
    content_chunks = [c for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(content_chunks) >= 3, "the reply arrives in pieces"
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content for c in content_chunks) == whole.choices[0].message.content
    finals = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finals and finals[-1].choices[0].finish_reason == whole.choices[0].finish_reason
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens == whole.usage.total_tokens


def test_models_list(client: OpenAI) -> None:
    ids = [m.id for m in client.models.list()]
    assert "deepseek-chat" in ids and "claude-opus-4-6" in ids


def test_free_tier_lists_only_free_models(gateway: GatewayProcess) -> None:
    key = gateway.create_key(tier="free")["api_key"]
    free = OpenAI(base_url=gateway.base_url, api_key=key, max_retries=0)
    ids = [m.id for m in free.models.list()]
    assert "deepseek-chat" in ids and "claude-opus-4-6" not in ids
    with pytest.raises(openai.PermissionDeniedError) as err:
        free.chat.completions.create(model="claude-opus-4-6", messages=[{"role": "user", "content": "hi"}])
    assert err.value.body["code"] == "TIER_RESTRICTED"


def test_unknown_model_is_model_not_found(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model="gpt-nonexistent", messages=[{"role": "user", "content": "hi"}])
    assert err.value.body["code"] == "MODEL_NOT_FOUND"


def test_bad_key_is_authentication_error(gateway: GatewayProcess) -> None:
    bad = OpenAI(base_url=gateway.base_url, api_key="mg_test_" + "x" * 32, max_retries=0)
    with pytest.raises(openai.AuthenticationError) as err:
        bad.chat.completions.create(model="deepseek-chat", messages=[{"role": "user", "content": "hi"}])
    assert err.value.body["code"] == "INVALID_API_KEY"


@pytest.mark.parametrize("model_id", ["deepseek-chat", "gemini-3.1-pro", "text-embedding-3-small"])
def test_models_retrieve_is_the_listed_object(client: OpenAI, model_id: str) -> None:
    listed = {m.id: m for m in client.models.list()}
    model = client.models.retrieve(model_id)
    assert model.object == "model" and model.id == model_id
    assert model.owned_by and model.created > 0
    assert model.model_dump() == listed[model_id].model_dump()


def test_models_retrieve_unknown_is_not_found(client: OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as err:
        client.models.retrieve("gpt-nonexistent")
    assert err.value.body["code"] == "NOT_FOUND"
    assert "gpt-nonexistent" in err.value.body["message"]
    assert "GET /v1/models" in err.value.body["remediation"]


def test_models_retrieve_hides_what_the_tier_does_not_list(gateway: GatewayProcess) -> None:
    key = gateway.create_key(tier="free")["api_key"]
    free = OpenAI(base_url=gateway.base_url, api_key=key, max_retries=0)
    assert free.models.retrieve("deepseek-chat").id == "deepseek-chat"
    with pytest.raises(openai.NotFoundError) as err:
        free.models.retrieve("claude-opus-4-6")
    assert err.value.body["code"] == "NOT_FOUND"


def test_models_retrieve_needs_a_key(gateway: GatewayProcess) -> None:
    anonymous = OpenAI(base_url=gateway.base_url, api_key="none", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        anonymous.models.retrieve("deepseek-chat")


def test_a_base_url_without_v1_is_told_the_right_url(gateway: GatewayProcess, api_key: str) -> None:
    # The mistake a newcomer makes: the gateway's address pasted as the SDK's base URL.
    wrong = OpenAI(base_url=gateway.url, api_key=api_key, max_retries=0)
    with pytest.raises(openai.NotFoundError) as err:
        wrong.chat.completions.create(model="deepseek-chat", messages=[{"role": "user", "content": "hi"}])
    assert err.value.body["code"] == "NOT_FOUND"
    assert f"{gateway.url}/v1/chat/completions" in err.value.body["remediation"]
    assert f"base URL is {gateway.url}/v1." in err.value.body["remediation"]
