"""One NPC turn: tool calls valid or repaired or dropped, regeneration when out of character."""

from __future__ import annotations

import json

from jsonschema import validate

from local_gateway.services.npc.actions import CallChecker, as_tools, normalize_actions
from local_gateway.services.npc.turn import TurnRunner, Voice
from tests.gateway.npc.fakes import Scripted, call, reply, request

ACTIONS = normalize_actions(
    [
        {"name": "offer_trade", "parameters": {"item_id": {"type": "string"}, "price": {"type": "integer"}}},
        {"name": "open_shop", "description": "Open the shop"},
    ]
)
TOOLS = as_tools(ACTIONS)
SCHEMAS = {t["function"]["name"]: t["function"]["parameters"] for t in TOOLS}


def runner() -> TurnRunner:
    voice = Voice("Borin", {"Borin"}, {"Player"}, {a["name"] for a in ACTIONS})
    return TurnRunner(voice, CallChecker(TOOLS))


def assert_valid(calls: list[dict]) -> None:
    for c in calls:
        validate(json.loads(c["function"]["arguments"]), SCHEMAS[c["function"]["name"]])


async def test_valid_call_passes_with_dialogue() -> None:
    provider = Scripted(reply("A fine blade.", [call("offer_trade", {"item_id": "sword", "price": 40})]))
    done = await runner().complete(provider, request(tools=TOOLS))
    assert done.content == "A fine blade." and done.finish_reason == "tool_calls"
    assert_valid(done.tool_calls)


async def test_invalid_call_is_repaired_by_asking_again() -> None:
    provider = Scripted(
        reply("Here.", [call("offer_trade", {"item_id": "sword", "price": "forty"})]),
        reply(None, [call("offer_trade", {"item_id": "sword", "price": 40}, "call_2")]),
    )
    done = await runner().complete(provider, request(tools=TOOLS))
    assert [json.loads(c["function"]["arguments"]) for c in done.tool_calls] == [
        {"item_id": "sword", "price": 40}
    ]
    assert done.tool_calls[0]["id"] == "call_1", "the repaired call keeps the id the model gave"
    retry = provider.requests[1]
    assert retry.tool_choice == {"type": "function", "function": {"name": "offer_trade"}}
    assert "price" in retry.messages[-1]["content"], "the model is told what was wrong"
    assert done.usage.prompt_tokens == 20, "the repair is counted"


async def test_call_still_invalid_after_one_repair_is_dropped() -> None:
    bad = call("offer_trade", {"item_id": 5})
    provider = Scripted(reply("Here.", [bad]), reply(None, [bad]))
    done = await runner().complete(provider, request(tools=TOOLS))
    assert done.tool_calls is None and done.finish_reason == "stop" and done.content == "Here."


async def test_unknown_action_is_dropped_without_asking() -> None:
    provider = Scripted(reply("Begone.", [call("cast_fireball", {})]))
    done = await runner().complete(provider, request(tools=TOOLS))
    assert done.tool_calls is None and len(provider.requests) == 1


async def test_out_of_character_reply_is_regenerated_once() -> None:
    provider = Scripted(reply("As an AI language model I have no wares."), reply("My wares are the finest."))
    done = await runner().complete(provider, request())
    assert done.content == "My wares are the finest."
    assert "Stay in character as Borin" in provider.requests[1].messages[-1]["content"]


async def test_second_break_is_cut_out() -> None:
    provider = Scripted(reply("As an AI, no."), reply("Welcome! As an AI I cannot say more. Good day."))
    done = await runner().complete(provider, request())
    assert done.content == "Welcome! Good day."


async def test_stage_direction_becomes_the_action() -> None:
    provider = Scripted(reply("*opens the shop* Take a look."))
    done = await runner().complete(provider, request(tools=TOOLS))
    assert done.content == "Take a look."
    assert [c["function"]["name"] for c in done.tool_calls] == ["open_shop"]


async def collect(turn: TurnRunner, provider: Scripted) -> tuple[str, list[dict], list]:
    text, calls, events = "", {}, []
    async for event in turn.stream(provider, request(tools=TOOLS)):
        events.append(event)
        if event.delta:
            text += event.delta.get("content") or ""
            for part in event.delta.get("tool_calls") or ():
                calls.setdefault(part["index"], part)
    return text, [calls[i] for i in sorted(calls)], events


async def test_stream_sends_only_valid_calls_whole() -> None:
    provider = Scripted(
        reply(
            "Fine steel.",
            [call("offer_trade", {"item_id": "axe", "price": "x"}), call("open_shop", {}, "c2")],
        ),
        reply(None, [call("offer_trade", {"item_id": "axe", "price": 12}, "c3")]),
    )
    turn = runner()
    text, calls, events = await collect(turn, provider)
    assert text == "Fine steel."
    assert [c["function"]["name"] for c in calls] == ["offer_trade", "open_shop"]
    assert_valid(calls)
    assert [c["index"] for c in calls] == [0, 1]
    assert events[0].delta == {"role": "assistant", "content": ""}
    assert [e.finish_reason for e in events if e.finish_reason] == ["tool_calls"]
    assert turn.result is not None and turn.result.tool_calls == [
        {k: v for k, v in c.items() if k != "index"} for c in calls
    ]


async def test_stream_regenerates_a_break_before_sending_it() -> None:
    provider = Scripted(reply("As an AI language model, I refuse."), reply("Ha! Welcome, friend."))
    text, _, _ = await collect(runner(), provider)
    assert text == "Ha! Welcome, friend."
