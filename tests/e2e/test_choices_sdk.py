"""``n``, ``logprobs`` and ``top_logprobs`` on the sandbox, judged by the official openai SDK."""

from __future__ import annotations

import math
from collections import defaultdict

import openai
import pytest
from openai import OpenAI

from tests.support.gateway_process import GatewayProcess

MODEL = "deepseek-chat"
ASK = [
    {"role": "system", "content": "You are Brom, a dwarven blacksmith."},
    {"role": "user", "content": "What would you forge for a knight on a quest?"},
]


@pytest.fixture
def client(gateway: GatewayProcess, api_key: str) -> OpenAI:
    return OpenAI(base_url=gateway.base_url, api_key=api_key, max_retries=0)


def test_n_gives_distinct_deterministic_choices(client: OpenAI) -> None:
    one = client.chat.completions.create(model=MODEL, messages=ASK)  # type: ignore[arg-type]
    three = client.chat.completions.create(model=MODEL, messages=ASK, n=3)  # type: ignore[arg-type]
    assert [c.index for c in three.choices] == [0, 1, 2]
    texts = [c.message.content for c in three.choices]
    assert len(set(texts)) == 3 and all(texts), texts
    assert texts[0] == one.choices[0].message.content, "choice 0 is the answer n=1 gets"
    again = client.chat.completions.create(model=MODEL, messages=ASK, n=3)  # type: ignore[arg-type]
    assert [c.message.content for c in again.choices] == texts
    # The prompt is counted once, every choice's tokens (one logprobs entry each) are billed.
    counted = client.chat.completions.create(model=MODEL, messages=ASK, n=3, logprobs=True)  # type: ignore[arg-type]
    assert [c.message.content for c in counted.choices] == texts
    assert counted.usage.prompt_tokens == one.usage.prompt_tokens
    per_choice = [len(c.logprobs.content or ()) for c in counted.choices if c.logprobs]
    assert per_choice[0] == one.usage.completion_tokens
    assert counted.usage.completion_tokens == sum(per_choice) and len(per_choice) == 3


def test_n_streams_each_choice_with_its_index(client: OpenAI) -> None:
    whole = client.chat.completions.create(model=MODEL, messages=ASK, n=2)  # type: ignore[arg-type]
    stream = client.chat.completions.create(
        model=MODEL, messages=ASK, n=2, stream=True, stream_options={"include_usage": True},  # type: ignore[arg-type]
    )  # fmt: skip
    texts: dict[int, str] = defaultdict(str)
    finishes: dict[int, list[str]] = defaultdict(list)
    usage = None
    for chunk in stream:
        usage = chunk.usage or usage
        for choice in chunk.choices:
            texts[choice.index] += choice.delta.content or ""
            if choice.finish_reason:
                finishes[choice.index].append(choice.finish_reason)
    assert dict(texts) == {c.index: c.message.content for c in whole.choices}
    assert dict(finishes) == {0: ["stop"], 1: ["stop"]}
    assert usage is not None and usage.completion_tokens == whole.usage.completion_tokens


def test_logprobs_are_plausible_and_cover_the_answer(client: OpenAI) -> None:
    result = client.chat.completions.create(
        model=MODEL,
        messages=ASK,
        logprobs=True,
        top_logprobs=3,  # type: ignore[arg-type]
    )
    choice = result.choices[0]
    assert choice.logprobs is not None and choice.logprobs.content
    entries = choice.logprobs.content
    assert "".join(e.token for e in entries) == choice.message.content
    assert len(entries) == result.usage.completion_tokens, "one entry per billed token"
    for entry in entries:
        assert entry.logprob <= 0 and entry.bytes == list(entry.token.encode())
        ranked = [t.logprob for t in entry.top_logprobs]
        assert len(ranked) == 3 and entry.top_logprobs[0].token == entry.token
        assert ranked == sorted(ranked, reverse=True)
        assert sum(math.exp(x) for x in ranked) <= 1.0 + 1e-9
    assert len({round(e.logprob, 3) for e in entries}) > 1, "not one constant value"
    plain = client.chat.completions.create(model=MODEL, messages=ASK, logprobs=True)  # type: ignore[arg-type]
    assert plain.choices[0].logprobs is not None
    assert all(e.top_logprobs == [] for e in plain.choices[0].logprobs.content or ())
    none = client.chat.completions.create(model=MODEL, messages=ASK)  # type: ignore[arg-type]
    assert none.choices[0].logprobs is None


def test_streamed_logprobs_match_the_whole_answer(client: OpenAI) -> None:
    whole = client.chat.completions.create(
        model=MODEL,
        messages=ASK,
        n=2,
        logprobs=True,
        top_logprobs=2,  # type: ignore[arg-type]
    )
    stream = client.chat.completions.create(
        model=MODEL,
        messages=ASK,
        n=2,
        logprobs=True,
        top_logprobs=2,
        stream=True,  # type: ignore[arg-type]
    )
    streamed: dict[int, list[tuple[str, float]]] = defaultdict(list)
    for chunk in stream:
        for choice in chunk.choices:
            for entry in (choice.logprobs.content or []) if choice.logprobs else []:
                streamed[choice.index].append((entry.token, entry.logprob))
    for choice in whole.choices:
        assert choice.logprobs is not None
        assert streamed[choice.index] == [(e.token, e.logprob) for e in choice.logprobs.content or ()]


def test_wrong_choice_parameters_are_400_naming_them(
    client: OpenAI, gateway: GatewayProcess, api_key: str
) -> None:
    cases = [
        ({"n": 0}, "'n'"),
        ({"n": 129}, "'n'"),
        ({"n": "2"}, "'n'"),
        ({"top_logprobs": 2}, "'top_logprobs'"),
        ({"logprobs": True, "top_logprobs": 21}, "'top_logprobs'"),
        ({"n": 2, "extra_body": {"npc_id": "blacksmith_01", "player_id": "p1"}}, "'n'"),
        ({"logprobs": True, "extra_body": {"npc_id": "blacksmith_01", "player_id": "p1"}}, "'logprobs'"),
    ]
    for extra, named in cases:
        body = dict(extra)
        extra_body = body.pop("extra_body", None)
        with pytest.raises(openai.BadRequestError) as err:
            client.chat.completions.create(
                model=MODEL,
                messages=ASK,
                extra_body={**body, **(extra_body or {})},  # type: ignore[arg-type]
            )
        assert named in err.value.body["message"], (extra, err.value.body)
    schema = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(
            model=MODEL, messages=ASK, n=2,  # type: ignore[arg-type]
            response_format={"type": "json_schema", "json_schema": {"name": "item", "schema": schema}},
        )  # fmt: skip
    assert "'n'" in err.value.body["message"]
    with gateway.client(api_key) as http:
        spoken = http.post("/v1/threads/thr_nosuch/speak", json={"npc_id": "brom", "n": 2})
        assert spoken.status_code == 400 and "'n'" in spoken.json()["error"]["message"]


def test_a_validated_json_answer_streams_with_its_logprobs(client: OpenAI) -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
    fmt = {"type": "json_schema", "json_schema": {"name": "item", "schema": schema}}
    whole = client.chat.completions.create(
        model=MODEL,
        messages=ASK,
        logprobs=True,
        response_format=fmt,  # type: ignore[arg-type]
    )
    assert whole.choices[0].logprobs is not None
    expected = [e.token for e in whole.choices[0].logprobs.content or ()]
    assert "".join(expected) == whole.choices[0].message.content
    stream = client.chat.completions.create(
        model=MODEL,
        messages=ASK,
        logprobs=True,
        response_format=fmt,
        stream=True,  # type: ignore[arg-type]
    )
    tokens = [
        e.token for chunk in stream for c in chunk.choices if c.logprobs for e in c.logprobs.content or ()
    ]
    assert tokens == expected
