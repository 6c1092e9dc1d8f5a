"""The grounding layer of the optional small model (MG_SANDBOX_MODEL=smollm2): what it refuses
and what it leaves to the template engine. The model itself is exercised by tests_local_llm/
(scripts/test --local-llm); here its replies are given, so each rule is checked on its own."""

from __future__ import annotations

from typing import Any

import pytest

from local_gateway.providers.base import ChatRequest
from local_gateway.providers.sandbox import recollection
from local_gateway.providers.sandbox.engine import SandboxProvider, answer
from local_gateway.providers.sandbox.grounded import check, grounded_answer, prompt
from local_gateway.providers.sandbox.voice import Persona
from tests.providers.test_sandbox import MODEL

BROKK = "You are Brokk, a grumpy dwarf blacksmith in Emberfall."
NPC = Persona("npc", "blacksmith", "grumpy", "Brokk")


class GivenReplies:
    """Stands in for SmolLM2 (which needs a llama.cpp build): answers what the test says,
    and records the prompts it was given."""

    name = "smollm2"

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.prompts: list[list[dict[str, str]]] = []

    def generate(self, messages: list[dict[str, str]], max_tokens: int) -> str:
        self.prompts.append(messages)
        return self.reply


def npc_request(*turns: str, **kwargs: Any) -> ChatRequest:
    messages: list[dict[str, Any]] = [{"role": "system", "content": BROKK}]
    for i, text in enumerate(turns):
        messages.append({"role": "user" if i % 2 == 0 else "assistant", "content": text})
    return ChatRequest(model=MODEL, messages=messages, **kwargs)


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        ("Ah, I'm Grimbold Ironfist, the finest smith alive.", "called itself Grimbold"),
        ("As an AI assistant I cannot forge swords.", "out of character"),
        ("Hmm.", "too short"),
        ("gold gold gold gold gold gold gold gold gold gold gold gold gold", "loops"),
    ],
)
def test_replies_that_break_the_persona_are_refused(reply: str, why: str) -> None:
    problem = check(reply, NPC, {}, recollection.Recollection())
    assert problem is not None and why in problem


def test_a_reply_that_contradicts_game_state_or_a_quoted_price_is_refused() -> None:
    assert check("Your gold is 40 pieces, friend.", NPC, {"gold": 12}, recollection.Recollection())
    assert check("Your gold is 12 pieces, friend.", NPC, {"gold": 12}, recollection.Recollection()) is None
    memory = recollection.read(
        [{"role": "user", "content": "How much for a longsword?"},
         {"role": "assistant", "content": "A longsword is 45 gold."}],
        "Brokk",
    )  # fmt: skip
    assert memory.quotes, "the price the NPC quoted was read from the thread"
    assert check("The longsword? 80 gold, no less.", NPC, {}, memory)
    assert check("Good steel, that longsword. Fire and patience make it.", NPC, {}, memory) is None


def test_a_good_reply_is_sent_and_its_prompt_carries_name_state_and_facts() -> None:
    model = GivenReplies("Brokk's the name, and my forge is the hottest in Emberfall.")
    request = npc_request(
        "My name is Elara and I am a ranger.",
        "Elara, is it? I'll remember your name.",
        "What do you think of the weather today?",
        context={"state": {"gold": 12}},
    )
    completion = grounded_answer(request, model, answer)  # type: ignore[arg-type]
    assert completion.content == model.reply and completion.finish_reason == "stop"
    system = model.prompts[0][0]["content"]
    assert system.startswith("You are Brokk.") and "gold: 12" in system
    assert "The player's name is Elara." in system and "The player is a ranger." in system
    assert model.prompts[0][-1] == {"role": "user", "content": "What do you think of the weather today?"}


def test_a_refused_reply_is_replaced_by_the_template_engines() -> None:
    model = GivenReplies("I'm Grimbold, and swords are 999 gold.")
    request = npc_request("Tell me about your forge.")
    assert grounded_answer(request, model, answer).content == answer(request).content  # type: ignore[arg-type]


def test_what_memory_answers_exactly_never_reaches_the_model() -> None:
    model = GivenReplies("You are Morwen, I think.")
    request = npc_request("My name is Elara.", "Elara, is it?", "Do you remember my name?")
    completion = grounded_answer(request, model, answer)  # type: ignore[arg-type]
    assert "Elara" in (completion.content or "") and model.prompts == []


def test_tools_and_json_go_to_the_template_engine() -> None:
    model = GivenReplies("Brokk here.")
    json_request = npc_request("Give me a quest.", response_format={"type": "json_object"})
    assert grounded_answer(json_request, model, answer).content == answer(json_request).content  # type: ignore[arg-type]
    assert model.prompts == []


async def test_the_provider_runs_the_small_model_off_the_loop_and_streams_its_words() -> None:
    model = GivenReplies("Brokk's forge never sleeps, stranger.")
    provider = SandboxProvider(answerer=lambda r: grounded_answer(r, model, answer))  # type: ignore[arg-type]
    request = npc_request("What keeps you busy?")
    words = [e.delta["content"] async for e in provider.stream(request) if e.delta and e.delta.get("content")]
    assert "".join(words) == model.reply
    assert provider.engine == "smollm2"


def test_the_prompt_keeps_only_the_last_turns() -> None:
    turns = [f"line {i}" for i in range(20)]
    thread = [{"role": "user" if i % 2 == 0 else "assistant", "content": t} for i, t in enumerate(turns)]
    messages = prompt(thread, NPC, BROKK, {}, recollection.Recollection())
    assert [m["content"] for m in messages[1:]] == turns[-6:]
