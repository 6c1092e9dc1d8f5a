"""``n`` and ``logprobs`` for live keys: forwarded to OpenAI-compatible upstreams, every choice
relayed; 400 naming the parameter where the provider's API cannot; admission reserves n answers."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest
from openai import OpenAI

from tests.support.envelope import assert_envelope
from tests.support.fake_upstreams import Reply, Upstreams
from tests.support.gateway_process import GatewayProcess

MODEL = "gpt-4o-mini"
HELLO = [{"role": "user", "content": "Is the forge lit?"}]


def _logprobs(*tokens: str) -> dict[str, Any]:
    content = [
        {"token": t, "logprob": -0.25 * (i + 1), "bytes": list(t.encode()), "top_logprobs": []}
        for i, t in enumerate(tokens)
    ]
    return {"content": content, "refusal": None}


TWO_CHOICES = {
    "id": "chatcmpl-fake",
    "object": "chat.completion",
    "created": 1760000000,
    "model": "gpt-4o-mini",
    "choices": [
        {"index": 1, "message": {"role": "assistant", "content": "No, cold."},
         "logprobs": _logprobs("No", ", cold."), "finish_reason": "stop"},
        {"index": 0, "message": {"role": "assistant", "content": "Aye, lit."},
         "logprobs": _logprobs("Aye", ", lit."), "finish_reason": "stop"},
    ],
    "usage": {"prompt_tokens": 10, "completion_tokens": 8, "total_tokens": 18},
}  # fmt: skip


def _sse(*chunks: dict[str, Any]) -> str:
    return "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"


def _chunk(index: int, delta: dict[str, Any], finish: str | None = None, lp: Any = None) -> dict[str, Any]:
    choice = {"index": index, "delta": delta, "logprobs": lp, "finish_reason": finish}
    return {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1, "model": MODEL,
            "choices": [choice]}  # fmt: skip


@pytest.fixture
def client(wired: tuple[GatewayProcess, Upstreams], live_key: str) -> OpenAI:
    return OpenAI(base_url=wired[0].base_url, api_key=live_key, max_retries=0)


def test_n_and_logprobs_are_forwarded_and_every_choice_comes_back(
    client: OpenAI, upstreams: Upstreams
) -> None:
    upstreams.fakes["openai"].queue("openai.chat", Reply(body=TWO_CHOICES))
    result = client.chat.completions.create(
        model=MODEL,
        messages=HELLO,
        n=2,
        logprobs=True,
        top_logprobs=2,  # type: ignore[arg-type]
    )
    sent = upstreams.fakes["openai"].calls("openai.chat")[0].body
    assert sent["n"] == 2 and sent["logprobs"] is True and sent["top_logprobs"] == 2
    assert [(c.index, c.message.content) for c in result.choices] == [(0, "Aye, lit."), (1, "No, cold.")]
    assert result.choices[1].logprobs is not None
    assert [e.token for e in result.choices[1].logprobs.content or ()] == ["No", ", cold."]
    assert result.usage.completion_tokens == 8, "the upstream's count, for both choices"
    plain = client.chat.completions.create(model=MODEL, messages=HELLO)  # type: ignore[arg-type]
    assert len(plain.choices) == 1
    sent = upstreams.fakes["openai"].calls("openai.chat")[1].body
    assert "n" not in sent and "logprobs" not in sent and "top_logprobs" not in sent


def test_streamed_choices_keep_their_index_and_logprobs(client: OpenAI, upstreams: Upstreams) -> None:
    sse = _sse(
        _chunk(0, {"role": "assistant", "content": ""}),
        _chunk(1, {"role": "assistant", "content": ""}),
        _chunk(0, {"content": "Aye"}, lp=_logprobs("Aye")),
        _chunk(1, {"content": "No"}, lp=_logprobs("No")),
        _chunk(1, {}, "stop"),
        _chunk(0, {"content": ", lit."}, lp=_logprobs(", lit.")),
        _chunk(0, {}, "stop"),
        {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1, "model": MODEL,
         "choices": [], "usage": {"prompt_tokens": 10, "completion_tokens": 4, "total_tokens": 14}},
    )  # fmt: skip
    upstreams.fakes["openai"].queue("openai.chat", Reply(sse=sse))
    stream = client.chat.completions.create(
        model=MODEL, messages=HELLO, n=2, logprobs=True, stream=True,  # type: ignore[arg-type]
        stream_options={"include_usage": True},
    )  # fmt: skip
    texts: dict[int, str] = {0: "", 1: ""}
    tokens: dict[int, list[str]] = {0: [], 1: []}
    finishes: dict[int, str] = {}
    for chunk in stream:
        for choice in chunk.choices:
            texts[choice.index] += choice.delta.content or ""
            if choice.logprobs:
                tokens[choice.index] += [e.token for e in choice.logprobs.content or ()]
            if choice.finish_reason:
                finishes[choice.index] = choice.finish_reason
    assert texts == {0: "Aye, lit.", 1: "No"} and tokens == {0: ["Aye", ", lit."], 1: ["No"]}
    assert finishes == {0: "stop", 1: "stop"}
    assert upstreams.fakes["openai"].calls("openai.chat")[0].body["n"] == 2


@pytest.mark.parametrize("model", ["claude-haiku-4-5", "gemini-3-flash"])
@pytest.mark.parametrize("stream", [False, True])
def test_providers_without_them_answer_400_naming_the_parameter(
    client: OpenAI, upstreams: Upstreams, model: str, stream: bool
) -> None:
    for extra, named in [({"n": 2}, "'n'"), ({"logprobs": True}, "'logprobs'")]:
        with pytest.raises(openai.BadRequestError) as err:
            client.chat.completions.create(
                model=model,
                messages=HELLO,
                stream=stream,
                **extra,  # type: ignore[arg-type,call-overload]
            )
        message = err.value.body["message"]
        assert named in message and model in message, message
    assert upstreams.fakes["anthropic"].requests == [] and upstreams.fakes["google"].requests == []


def test_admission_reserves_every_choice(
    wired: tuple[GatewayProcess, Upstreams], upstreams: Upstreams
) -> None:
    gateway = wired[0]
    account = gateway.create_key(tier="free", live=True)
    gateway.add_credit(account["email"], -4.99)  # leaves one cent of the welcome credit
    with gateway.client(account["api_key"]) as http:
        # 5,000 tokens of gpt-4o-mini are $0.003: one fits in a cent, eight do not.
        body = {"model": MODEL, "messages": HELLO, "max_tokens": 5000}
        assert http.post("/v1/chat/completions", json=body).status_code == 200
        calls = len(upstreams.fakes["openai"].calls("openai.chat"))
        refused = http.post("/v1/chat/completions", json={**body, "n": 8})
        assert "balance" in assert_envelope(refused, 402, "CREDITS_EXHAUSTED")["message"]
        assert len(upstreams.fakes["openai"].calls("openai.chat")) == calls, "nothing went upstream"
