"""The sandbox NPC answers from what the request carries: history, running summary, recalled memories."""

from __future__ import annotations

import json
from typing import Any

from local_gateway.providers.base import ChatRequest, ModelInfo
from local_gateway.providers.sandbox.engine import answer
from tests.support.npc_suite import figures

MODEL = ModelInfo("deepseek-chat", "deepseek", "deepseek-chat", 65536, 8192, 0.14, 0.28)
BROKK = "You are Brokk, a grumpy dwarf blacksmith."


def reply(system: str, *turns: tuple[str, str], ask: str) -> str:
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}]
    for role, text in turns:
        messages.append({"role": role, "content": text})
    messages.append({"role": "user", "content": ask})
    return answer(ChatRequest(model=MODEL, messages=messages)).content or ""


def test_facts_from_the_running_summary_and_recalled_memories_are_said_back() -> None:
    # Nothing in the window: only the prompt's memory sections know the player.
    system = (
        f"{BROKK}\n\nWhat you remember from earlier:\nPlayer: My name is Elara, by the way.\n"
        "Brokk: The steel longsword is 87 gold, and that price holds.\n\n"
        "Memories that may matter now:\n- Player: I'm a ranger from the southern woods.\n"
        "Brokk: A ranger by trade, then."
    )
    assert "Elara" in reply(system, ask="Do you remember my name?")
    assert "ranger" in reply(system, ask="What am I, do you recall?")
    assert figures(reply(system, ask="What was the steel longsword again, how much?")) == ("87 gold",)


def test_without_memory_the_npc_says_it_was_never_told() -> None:
    said = reply(BROKK, ask="Do you remember my name?")
    assert "never told me your name" in said


def test_a_first_price_is_the_same_in_every_thread_and_a_stated_fact_is_acknowledged() -> None:
    first = reply(BROKK, ask="How much for a war hammer?")
    later = reply(BROKK, ("user", "Hello."), ("assistant", "Bah."), ask="How much for a war hammer?")
    assert figures(first) == figures(later) != ()
    assert reply(BROKK, ask="Call me Kestrel.").startswith("Kestrel, is it?")


def test_the_npc_repeats_a_price_a_live_model_quoted_in_its_own_words() -> None:
    turns = [("user", "What's the toll?"), ("assistant", "Hmph. The toll is 12 gold a head, friend.")]
    assert figures(
        reply(
            BROKK, *turns, ("user", "Nice day."), ("assistant", "Is it."), ask="Is the toll still the same?"
        )
    ) == ("12 gold",)


def test_an_offer_carries_the_price_the_npc_states() -> None:
    """Seen in scripts/play: "The longsword is 54 gold" came with offer_trade at 95."""
    from tests.providers.test_sandbox import MODEL

    offer = {"type": "function", "function": {"name": "offer_trade", "parameters": {"type": "object",
             "properties": {"item_id": {"type": "string"}, "price": {"type": "integer"}},
             "required": ["item_id", "price"]}}}  # fmt: skip
    for item in ("longsword", "war axe", "steel shield"):
        messages = [
            {"role": "system", "content": "You are Brokk, a blacksmith merchant."},
            {"role": "user", "content": f"I want to buy a {item}. How much is it?"},
        ]
        done = answer(ChatRequest(model=MODEL, messages=messages, tools=[offer]))
        assert done.tool_calls, "the player asked to buy: the NPC makes an offer"
        price = json.loads(done.tool_calls[0]["function"]["arguments"])["price"]
        assert f"{price} gold" in (done.content or ""), (done.content, price)
