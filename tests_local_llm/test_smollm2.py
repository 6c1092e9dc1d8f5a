"""MG_SANDBOX_MODEL=smollm2 through a real gateway and the official openai SDK: a real small
model answers test keys, deterministically, in character, and the grounding keeps what it
must not get wrong."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from tests.support.gateway_process import GatewayProcess, running_gateway

SMOL = {"MG_SANDBOX_MODEL": "smollm2"}
BROKK = "You are Brokk, a grumpy dwarf blacksmith in Emberfall. You sell swords and axes."


@pytest.fixture(scope="module")
def gateways(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GatewayProcess, GatewayProcess]]:
    with (
        running_gateway(tmp_path_factory.mktemp("gw-smol"), None, SMOL) as smol,
        running_gateway(tmp_path_factory.mktemp("gw-template")) as template,
    ):
        yield smol, template


def client(gw: GatewayProcess) -> openai.OpenAI:
    return openai.OpenAI(base_url=gw.base_url, api_key=gw.create_key()["api_key"], max_retries=0)


def ask(gw: GatewayProcess, messages: list[dict[str, str]]) -> str:
    reply = client(gw).chat.completions.create(model="deepseek-chat", messages=messages, max_tokens=80)  # type: ignore[arg-type]
    return reply.choices[0].message.content or ""


def test_a_real_model_answers_and_the_same_request_gets_the_same_words(
    gateways: tuple[GatewayProcess, GatewayProcess], tmp_path: Path
) -> None:
    smol, template = gateways
    question = [{"role": "user", "content": "Give me one tip for pacing a boss fight."}]
    first = ask(smol, question)
    assert first and first == ask(smol, question), "greedy decoding: same request, same reply"
    assert first != ask(template, question), "the model answered, not the template engine"
    with running_gateway(tmp_path / "another", None, SMOL) as another:
        assert ask(another, question) == first, "and in another process too"


def test_the_npc_keeps_its_name_and_the_players(gateways: tuple[GatewayProcess, GatewayProcess]) -> None:
    smol, _ = gateways
    who = ask(smol, [{"role": "system", "content": BROKK}, {"role": "user", "content": "Who are you?"}])
    assert "Brokk" in who or "I'm" not in who, who
    thread = [
        {"role": "system", "content": BROKK},
        {"role": "user", "content": "Hello! My name is Elara and I'm a ranger."},
        {"role": "assistant", "content": "Elara, is it? I'll remember your name."},
        {"role": "user", "content": "Do you remember my name?"},
    ]
    assert "Elara" in ask(smol, thread)


def test_streams_carry_the_same_reply(gateways: tuple[GatewayProcess, GatewayProcess]) -> None:
    smol, _ = gateways
    messages = [{"role": "system", "content": BROKK}, {"role": "user", "content": "What is your forge like?"}]
    whole = ask(smol, messages)
    stream = client(smol).chat.completions.create(
        model="deepseek-chat",
        messages=messages,  # type: ignore[arg-type]
        max_tokens=80,
        stream=True,
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == whole
