"""The offline sandbox model: what a game developer sees when using a test key."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from jsonschema import Draft202012Validator

from local_gateway.providers import tokens
from local_gateway.providers.base import ChatRequest, Completion, ModelInfo, StreamEvent
from local_gateway.providers.sandbox.engine import SandboxProvider
from local_gateway.providers.sandbox.tools import normalize_parameters

MODEL = ModelInfo("deepseek-chat", "deepseek", "deepseek-chat", 65536, 8192, 0.14, 0.28)
BLACKSMITH = "You are a grumpy dwarf blacksmith in a fantasy RPG."
SWORD = "Can you forge me a legendary sword?"
STATE = {"time_of_day": "night", "player_reputation": 75}

# The spec's NPC actions: loose parameter maps, every property required.
ACTIONS = [
    {
        "name": "offer_trade",
        "description": "Present an item for sale with a price",
        "parameters": {
            "item_id": {"type": "string"},
            "price": {"type": "integer"},
            "currency": {"type": "string"},
        },
    },
    {
        "name": "give_quest",
        "description": "Offer the player a quest",
        "parameters": {
            "quest_id": {"type": "string"},
            "difficulty": {"type": "string", "enum": ["easy", "medium", "hard"]},
        },
    },
]
OPENAI_TOOL = {
    "type": "function",
    "function": {
        "name": "equip_party",
        "description": "Hand out gear to party members",
        "strict": True,
        "parameters": {
            "type": "object",
            "additionalProperties": False,
            "required": ["members", "formation", "note", "budget", "version"],
            "properties": {
                "members": {
                    "type": "array",
                    "minItems": 2,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["name", "slot", "level"],
                        "properties": {
                            "name": {"type": "string", "minLength": 1, "maxLength": 20},
                            "slot": {"type": "string", "enum": ["head", "chest", "hands"]},
                            "level": {"type": "integer", "minimum": 1, "maximum": 10},
                        },
                    },
                },
                "formation": {"anyOf": [{"type": "string", "enum": ["line", "wedge"]}, {"type": "null"}]},
                "note": {"type": ["string", "null"]},
                "budget": {"type": "number", "minimum": 0, "maximum": 99.5},
                "version": {"const": 2},
            },
        },
    },
}
NO_AI_TALK = re.compile(
    r"\b(as an ai|language model|i am an ai|i'm an ai|artificial intelligence|chatbot)\b", re.I
)


def request(system: str | None, user: str, **kwargs: Any) -> ChatRequest:
    messages = [{"role": "system", "content": system}] if system else []
    messages.append({"role": "user", "content": user})
    return ChatRequest(model=MODEL, messages=messages, **kwargs)


async def complete(req: ChatRequest) -> Completion:
    return await SandboxProvider().complete(req)


async def events(req: ChatRequest) -> list[StreamEvent]:
    return [event async for event in SandboxProvider().stream(req)]


def assemble(evts: list[StreamEvent]) -> tuple[str, list[dict[str, Any]], str | None]:
    """Rebuild content and tool calls from deltas, the way an OpenAI SDK does."""
    content, calls, finish = "", {}, None
    for event in evts:
        delta = event.delta or {}
        content += delta.get("content") or ""
        for part in delta.get("tool_calls") or ():
            call = calls.setdefault(part["index"], {"function": {"name": "", "arguments": ""}})
            if "id" in part:
                call["id"], call["type"] = part["id"], part["type"]
            call["function"]["name"] += part["function"].get("name") or ""
            call["function"]["arguments"] += part["function"].get("arguments") or ""
        finish = event.finish_reason or finish
    return content, [calls[i] for i in sorted(calls)], finish


def words(text: str | None) -> int:
    return len((text or "").split())


# -- determinism -----------------------------------------------------------------------------

VARIED_REQUESTS = [
    request(BLACKSMITH, SWORD),
    request(BLACKSMITH, SWORD, context={"state": STATE, "response_style": "verbose"}),
    request("You are a cheerful merchant.", "what do you have for sale? I want to trade", tools=ACTIONS),
    request(None, "Generate a loot drop for a dragon boss", response_format={"type": "json_object"}),
    request(BLACKSMITH, SWORD, max_tokens=9),
    request(None, "Equip the party", tools=[OPENAI_TOOL], tool_choice="required"),
]


@pytest.mark.parametrize("req", VARIED_REQUESTS)
async def test_same_request_gives_the_same_answer(req: ChatRequest) -> None:
    first, second = await complete(req), await complete(req)
    assert first == second


@pytest.mark.parametrize("req", VARIED_REQUESTS)
async def test_stream_carries_exactly_the_non_stream_answer(req: ChatRequest) -> None:
    whole = await complete(req)
    evts = await events(req)
    content, calls, finish = assemble(evts)
    assert content == (whole.content or "")
    assert calls == (whole.tool_calls or [])
    assert finish == whole.finish_reason
    assert evts[-1].usage == whole.usage


def test_answers_do_not_depend_on_the_process_hash_seed() -> None:
    script = (
        "import asyncio, json\n"
        "from tests.providers.test_sandbox import VARIED_REQUESTS, complete\n"
        "answers = [asyncio.run(complete(r)) for r in VARIED_REQUESTS]\n"
        "print(json.dumps([[a.content, a.tool_calls] for a in answers]))\n"
    )
    root = Path(__file__).parents[2]
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={"PYTHONHASHSEED": seed, "PATH": ""},
            capture_output=True,
            text=True,
            check=True,
            cwd=root,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1
    answers = json.loads(outputs.pop())
    assert len(answers) == len(VARIED_REQUESTS) and all(content or calls for content, calls in answers)


async def test_different_questions_get_different_answers() -> None:
    sword = await complete(request(BLACKSMITH, SWORD))
    shield = await complete(request(BLACKSMITH, "Can you repair my dented shield?"))
    assert sword.content != shield.content
    assert "sword" in sword.content and "shield" in shield.content


# -- voice -----------------------------------------------------------------------------------


async def test_grumpy_blacksmith_answers_in_character_about_the_sword() -> None:
    reply = (await complete(request(BLACKSMITH, SWORD))).content
    assert "legendary sword" in reply
    assert re.search(r"\b(Hmph|Bah|What now|Ugh)\b", reply)
    assert re.search(r"\b(anvil|steel|ore|forge|fire)\b", reply)


async def test_the_same_question_sounds_different_per_persona() -> None:
    question = "Tell me about the old tower."
    cheerful = (await complete(request("You are a cheerful innkeeper.", question))).content
    sinister = (await complete(request("You are a sinister necromancer.", question))).content
    assert cheerful != sinister
    assert cheerful.count("!") >= 2 and "..." not in cheerful
    assert "..." in sinister or "Few lived" in sinister
    assert "old tower" in cheerful and "old tower" in sinister


async def test_npc_says_its_name_from_context_or_system_prompt() -> None:
    by_context = await complete(request(BLACKSMITH, "Who are you?", context={"npc_name": "Brunhild"}))
    by_prompt = await complete(request("You are a wise wizard. Your name is Aldric.", "What's your name?"))
    assert "Brunhild" in by_context.content and "blacksmith" in by_context.content
    assert "Aldric" in by_prompt.content


async def test_template_gives_a_voice_without_a_system_prompt() -> None:
    reply = (
        await complete(request(None, "What do you want from me?", context={"template": "villain"}))
    ).content
    assert re.search(r"\.\.\.|mortal|Few lived|price", reply)
    assert "sandbox" not in reply


async def test_game_dev_expert_gives_a_technical_answer() -> None:
    system = "You are a senior Unity engineer helping game developers."
    reply = (await complete(request(system, "How do I reduce draw calls for my foliage?"))).content
    assert "Unity" in reply and "foliage" in reply
    assert re.search(r"\b1\. .+ 2\. ", reply)
    assert re.search(r"[Bb]atch|[Pp]rofile", reply)
    assert not re.search(r"\b(Hmph|Bah)\b|\*", reply)


@pytest.mark.parametrize(
    "system",
    [BLACKSMITH, "You are a sinister necromancer.", "You are a nervous guard.", "You are a talking cat."],
)
@pytest.mark.parametrize(
    "question", ["Are you an AI?", "What are you, really?", "Are you a bot or a real person?"]
)
async def test_npcs_never_claim_to_be_an_ai(system: str, question: str) -> None:
    reply = (await complete(request(system, question))).content
    assert reply and not NO_AI_TALK.search(reply)


async def test_without_a_persona_the_sandbox_says_what_it_is() -> None:
    reply = (await complete(request(None, "Are you an AI?"))).content
    assert "sandbox" in reply and "offline" in reply
    generic = (
        await complete(request("You are a helpful assistant.", "What is the capital of France?"))
    ).content
    assert "sandbox" in generic and "capital" in generic


async def test_template_object_sets_voice_and_style() -> None:
    template = {"id": "merchant", "system_prompt": "You sell potions.", "response_style": "terse"}
    reply = (await complete(request(None, "Hello!", context={"template": template, "state": STATE}))).content
    assert words(reply) <= 15 and ("night" in reply or "75" in reply)
    assert "sandbox" not in reply


async def test_stop_sequence_ends_the_reply_early() -> None:
    full = await complete(request(BLACKSMITH, SWORD))
    stopped = await complete(request(BLACKSMITH, SWORD, stop=["?"]))
    assert stopped.content == full.content[: full.content.index("?")]
    assert stopped.finish_reason == "stop"


# -- game state ------------------------------------------------------------------------------

PERSONAS = [BLACKSMITH, "You are a cheerful innkeeper.", "You are a senior Godot programmer.", None]


@pytest.mark.parametrize("system", PERSONAS)
@pytest.mark.parametrize("style", ["terse", "normal", "verbose", "dramatic"])
async def test_reply_mentions_a_state_value_verbatim(system: str | None, style: str) -> None:
    reply = (
        await complete(request(system, SWORD, context={"state": STATE, "response_style": style}))
    ).content
    assert "night" in reply or "75" in reply


async def test_state_most_relevant_to_the_question_comes_first() -> None:
    ctx = {"state": STATE, "response_style": "terse"}
    about_reputation = (
        await complete(request(BLACKSMITH, "What is my reputation around here?", context=ctx))
    ).content
    assert "75" in about_reputation
    state = {"gold": 12, "weather": "storm", "location": "Iron Forge"}
    about_weather = await complete(request(BLACKSMITH, "Nasty weather, eh?", context={"state": state}))
    assert "storm" in about_weather.content


@pytest.mark.parametrize(
    "section",
    [
        'Game state: {"time_of_day": "dawn", "quest_progress": "talked_to_guard"}',
        "Game state:\ntime_of_day: dawn\nquest_progress: talked_to_guard\n",
        "## Game state:\n- time_of_day: dawn\n- quest_progress: talked_to_guard",
    ],
)
async def test_state_section_in_the_system_prompt_grounds_the_reply(section: str) -> None:
    system = f"You are a noble knight.\n{section}\n\nStay in character."
    reply = (await complete(request(system, "Any news?"))).content
    assert "dawn" in reply or "talked_to_guard" in reply
    assert "Game state" not in reply


async def test_list_state_values_are_named_item_by_item() -> None:
    ctx = {"state": {"inventory": ["health_potion", "iron_sword"]}}
    reply = (
        await complete(request("You are a merchant.", "What would you buy from my bag?", context=ctx))
    ).content
    assert "health_potion" in reply and "iron_sword" in reply


# -- response styles -------------------------------------------------------------------------

STYLE_CASES = [
    (BLACKSMITH, SWORD, {}),
    ("You are a cheerful innkeeper.", "Heard any rumors lately?", {"state": STATE}),
    ("You are a wise old wizard.", "What is the secret of the ancient runes?", {"npc_name": "Aldric"}),
    ("You are a sinister necromancer.", "Who are you?", {}),
    ("You are a senior Unity engineer.", "How should I structure save games?", {}),
    (None, "Say hello", {}),
]


@pytest.mark.parametrize(("system", "user", "ctx"), STYLE_CASES)
async def test_response_style_changes_length(system: str | None, user: str, ctx: dict[str, Any]) -> None:
    lengths = {}
    for style in ("terse", "normal", "verbose"):
        reply = await complete(request(system, user, context={**ctx, "response_style": style}))
        lengths[style] = words(reply.content)
    assert lengths["terse"] <= 15
    assert 30 <= lengths["normal"] <= 60
    assert lengths["verbose"] >= 90


@pytest.mark.parametrize(("system", "user", "ctx"), STYLE_CASES[:4])
async def test_dramatic_style_adds_stage_directions_and_exclamations(
    system: str, user: str, ctx: dict[str, Any]
) -> None:
    reply = (await complete(request(system, user, context={**ctx, "response_style": "dramatic"}))).content
    assert re.search(r"\*[a-z][^*]+\*", reply)
    assert reply.count("!") >= 2


async def test_dramatic_blacksmith_works_the_anvil() -> None:
    reply = (await complete(request(BLACKSMITH, SWORD, context={"response_style": "dramatic"}))).content
    assert re.search(r"\*[^*]*(anvil|soot|steel)[^*]*\*", reply)


# -- max_tokens ------------------------------------------------------------------------------


@pytest.mark.parametrize("budget", [1, 3, 9, 20])
async def test_max_tokens_cuts_the_reply_and_says_length(budget: int) -> None:
    full = await complete(request(BLACKSMITH, SWORD))
    cut = await complete(request(BLACKSMITH, SWORD, max_tokens=budget))
    assert tokens.count_text(full.content) > budget
    assert 0 < tokens.count_text(cut.content) <= budget
    assert full.content.startswith(cut.content)
    assert cut.finish_reason == "length"
    assert cut.usage.completion_tokens == tokens.count_text(cut.content)


async def test_generous_max_tokens_changes_nothing() -> None:
    full = await complete(request(BLACKSMITH, SWORD))
    roomy = await complete(request(BLACKSMITH, SWORD, max_tokens=4000))
    assert roomy.content == full.content and roomy.finish_reason == "stop"


async def test_max_tokens_too_small_for_the_tool_call_drops_it() -> None:
    req = request(None, "Equip the party", tools=[OPENAI_TOOL], tool_choice="required", max_tokens=5)
    result = await complete(req)
    assert result.tool_calls is None and result.finish_reason == "length"
    assert result.usage.completion_tokens <= 5


async def test_json_cut_by_max_tokens_is_reported_as_length() -> None:
    fmt = {"type": "json_object"}
    result = await complete(request(BLACKSMITH, SWORD, response_format=fmt, max_tokens=6))
    assert result.finish_reason == "length"
    with pytest.raises(json.JSONDecodeError):
        json.loads(result.content)


# -- tools -----------------------------------------------------------------------------------


def schema_of(tool: dict[str, Any]) -> dict[str, Any]:
    fn = tool.get("function", tool)
    return normalize_parameters(fn["parameters"])


def check_calls(result: Completion, tools: list[dict[str, Any]]) -> list[str]:
    by_name = {t.get("function", t)["name"]: t for t in tools}
    names = []
    for call in result.tool_calls or ():
        assert re.fullmatch(r"call_[0-9a-f]{24}", call["id"]) and call["type"] == "function"
        arguments = json.loads(call["function"]["arguments"])
        schema = schema_of(by_name[call["function"]["name"]])
        Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(arguments)
        names.append(call["function"]["name"])
    return names


async def test_required_tool_choice_always_calls_a_schema_valid_tool() -> None:
    result = await complete(request(None, "Equip the party", tools=[OPENAI_TOOL], tool_choice="required"))
    assert check_calls(result, [OPENAI_TOOL]) == ["equip_party"]
    assert result.finish_reason == "tool_calls"
    arguments = json.loads(result.tool_calls[0]["function"]["arguments"])
    assert len(arguments["members"]) >= 2 and arguments["version"] == 2


async def test_named_tool_choice_calls_that_tool() -> None:
    choice = {"type": "function", "function": {"name": "give_quest"}}
    result = await complete(
        request("You are a merchant.", "I want to trade", tools=ACTIONS, tool_choice=choice)
    )
    assert check_calls(result, ACTIONS) == ["give_quest"]


async def test_auto_calls_the_tool_the_player_asks_for_and_still_speaks() -> None:
    req = request("You are a cheerful merchant.", "what do you have for sale? I want to trade", tools=ACTIONS)
    result = await complete(req)
    assert check_calls(result, ACTIONS) == ["offer_trade"]
    assert result.finish_reason == "tool_calls"
    assert result.content and words(result.content) <= 20 and not NO_AI_TALK.search(result.content)


async def test_auto_does_not_call_tools_for_unrelated_words() -> None:
    result = await complete(request(BLACKSMITH, SWORD, tools=ACTIONS))
    assert result.tool_calls is None and result.finish_reason == "stop"
    assert "sword" in result.content


async def test_tool_choice_none_never_calls() -> None:
    req = request("You are a merchant.", "I want to trade. Got a quest?", tools=ACTIONS, tool_choice="none")
    result = await complete(req)
    assert result.tool_calls is None and result.finish_reason == "stop" and result.content


async def test_parallel_calls_unless_disabled() -> None:
    user = "I want to trade, and I need a quest."
    both = await complete(request("You are a merchant.", user, tools=ACTIONS))
    one = await complete(request("You are a merchant.", user, tools=ACTIONS, parallel_tool_calls=False))
    assert sorted(check_calls(both, ACTIONS)) == ["give_quest", "offer_trade"]
    assert len(check_calls(one, ACTIONS)) == 1
    ids = [c["id"] for c in both.tool_calls]
    assert len(set(ids)) == len(ids)


async def test_loose_action_parameters_become_a_full_required_schema() -> None:
    schema = normalize_parameters(ACTIONS[0]["parameters"])
    assert schema["type"] == "object" and schema["required"] == ["item_id", "price", "currency"]
    result = await complete(request("You are a merchant.", "Sell me your iron sword", tools=ACTIONS[:1]))
    arguments = json.loads(result.tool_calls[0]["function"]["arguments"])
    assert set(arguments) == {"item_id", "price", "currency"}
    assert arguments["item_id"] == "iron_sword" and isinstance(arguments["price"], int)


async def test_arguments_follow_the_players_words() -> None:
    user = "Got any hard work for me? Something about the goblin caves."
    result = await complete(request("You are a village elder.", user, tools=ACTIONS))
    arguments = json.loads(result.tool_calls[0]["function"]["arguments"])
    assert arguments == {"quest_id": "goblin_caves", "difficulty": "hard"}


async def test_a_tool_result_is_answered_not_called_again() -> None:
    req = request("You are a cheerful merchant.", "I want to trade", tools=ACTIONS)
    first = await complete(req)
    call = first.tool_calls[0]
    req.messages += [first.message(), {"role": "tool", "tool_call_id": call["id"], "content": '{"ok": true}'}]
    second = await complete(req)
    assert second.tool_calls is None and second.content and second.finish_reason == "stop"


# -- JSON output -----------------------------------------------------------------------------


async def test_json_object_gives_an_object_with_the_reply() -> None:
    req = request(BLACKSMITH, SWORD, response_format={"type": "json_object"}, context={"state": STATE})
    obj = json.loads((await complete(req)).content)
    assert isinstance(obj, dict)
    assert obj["topic"] == "legendary sword"
    assert "night" in obj["reply"] or "75" in obj["reply"]


async def test_json_object_follows_an_example_in_the_prompt() -> None:
    system = 'You are a merchant. Reply in JSON like {"item": "...", "price": 10}. Say "Hmph" often.'
    req = request(
        system, "What is the price of that scroll of fireball?", response_format={"type": "json_object"}
    )
    obj = json.loads((await complete(req)).content)
    assert set(obj) == {"item", "price"} and isinstance(obj["price"], int)


async def test_json_object_uses_keys_the_prompt_names() -> None:
    user = "Forge me a legendary axe. Answer in JSON with keys name, rarity and damage."
    obj = json.loads(
        (await complete(request(BLACKSMITH, user, response_format={"type": "json_object"}))).content
    )
    assert set(obj) == {"name", "rarity", "damage"}
    assert obj["rarity"] == "legendary" and isinstance(obj["damage"], int) and "Axe" in obj["name"]


LOOT_DROP = {
    "type": "object",
    "properties": {
        "item_name": {"type": "string"},
        "rarity": {"type": "string", "enum": ["common", "uncommon", "rare", "epic", "legendary"]},
        "damage": {"type": "integer"},
        "effects": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["item_name", "rarity", "damage"],
}
STRICT = {
    "type": "object",
    "additionalProperties": False,
    "required": ["speaker", "line", "mood", "gift"],
    "properties": {
        "speaker": {"type": "string"},
        "line": {"type": "string", "maxLength": 80},
        "mood": {"type": "string", "enum": ["calm", "angry"]},
        "gift": {"anyOf": [{"$ref": "#/$defs/item"}, {"type": "null"}]},
    },
    "$defs": {
        "item": {
            "type": "object",
            "additionalProperties": False,
            "required": ["item_id", "price"],
            "properties": {
                "item_id": {"type": "string"},
                "price": {"type": ["integer", "null"], "minimum": 1},
            },
        }
    },
}


@pytest.mark.parametrize("schema", [LOOT_DROP, STRICT, OPENAI_TOOL["function"]["parameters"]])
@pytest.mark.parametrize("user", ["Generate a loot drop for a dragon boss", SWORD, "hi"])
async def test_json_schema_content_validates(schema: dict[str, Any], user: str) -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "out", "schema": schema, "strict": True}}
    for system in (BLACKSMITH, None):
        result = await complete(request(system, user, response_format=fmt))
        jsonschema.validate(json.loads(result.content), schema)
        assert result.finish_reason == "stop"


async def test_loot_drop_is_about_the_dragon() -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "loot_drop", "schema": LOOT_DROP}}
    loot = json.loads(
        (await complete(request(None, "Generate a loot drop for a dragon boss", response_format=fmt))).content
    )
    assert loot["item_name"].startswith("Dragon")
    assert loot["rarity"] in LOOT_DROP["properties"]["rarity"]["enum"] and loot["damage"] > 0


# -- streaming -------------------------------------------------------------------------------


async def test_stream_event_order() -> None:
    req = request("You are a cheerful merchant.", "what do you have for sale? I want to trade", tools=ACTIONS)
    evts = await events(req)
    assert evts[0].delta == {"role": "assistant", "content": ""}
    kinds = []
    for event in evts[1:]:
        if event.delta and "content" in event.delta:
            kinds.append("content")
        elif event.delta and "tool_calls" in event.delta:
            kinds.append("tool")
        elif event.finish_reason:
            kinds.append("finish")
        elif event.usage:
            kinds.append("usage")
    first_tool, last_content = kinds.index("tool"), len(kinds) - 1 - kinds[::-1].index("content")
    assert last_content < first_tool
    assert kinds[-2:] == ["finish", "usage"] and kinds.count("finish") == 1
    assert evts[-2].finish_reason == "tool_calls"


async def test_tool_call_deltas_have_the_openai_shape() -> None:
    evts = await events(request(None, "Equip the party", tools=[OPENAI_TOOL], tool_choice="required"))
    parts = [p for e in evts if e.delta for p in e.delta.get("tool_calls", ())]
    head, rest = parts[0], parts[1:]
    assert head["index"] == 0 and head["id"].startswith("call_") and head["type"] == "function"
    assert head["function"] == {"name": "equip_party", "arguments": ""}
    assert len(rest) >= 3
    assert all(set(p) == {"index", "function"} and set(p["function"]) == {"arguments"} for p in rest)


async def test_a_normal_reply_streams_in_several_chunks() -> None:
    evts = await events(request(BLACKSMITH, SWORD))
    chunks = [e.delta["content"] for e in evts[1:] if e.delta and e.delta.get("content")]
    assert len(chunks) >= 3
    assert all(len(c.split()) <= 2 for c in chunks)


async def test_chunk_delay_slows_the_stream_and_a_client_can_leave_early() -> None:
    req = request(BLACKSMITH, SWORD)
    stream = SandboxProvider(chunk_delay=0.03).stream(req)
    started = time.monotonic()
    seen = [await stream.__anext__() for _ in range(4)]
    assert time.monotonic() - started >= 0.08
    await stream.aclose()
    fast = await complete(request(BLACKSMITH, SWORD))
    assert "".join(e.delta.get("content", "") for e in seen[1:]) == " ".join(fast.content.split()[:3])


# -- usage -----------------------------------------------------------------------------------


@pytest.mark.parametrize("req", VARIED_REQUESTS)
async def test_usage_uses_the_shared_token_counter(req: ChatRequest) -> None:
    result = await complete(req)
    assert result.usage.prompt_tokens == tokens.count_messages(req.messages, req.tools)
    call_tokens = sum(
        tokens.count_text(c["function"]["name"]) + tokens.count_text(c["function"]["arguments"])
        for c in result.tool_calls or ()
    )
    assert result.usage.completion_tokens == tokens.count_text(result.content or "") + call_tokens
    assert result.usage.completion_tokens > 0


def test_the_provider_has_the_sandbox_name() -> None:
    assert SandboxProvider.name == "sandbox"
    assert asyncio.iscoroutinefunction(SandboxProvider.complete)
