"""The offline sandbox model: what every ``mg_test_`` key talks to.

It needs no network and answers the same request with the same words, streamed or not, while
exercising every path a game depends on: replies in the voice of the system prompt and grounded
in game state, tool calls with schema-valid arguments, JSON that validates against a requested
schema, ``max_tokens`` cut-offs with ``finish_reason: "length"``, and usage counted by the shared
token counter. Every phrasing choice is a hash of the request (see :func:`fingerprint`).

Context hints read from ``ChatRequest.context`` (upstream providers ignore them):

- ``npc_name``: the NPC's name, used when it introduces itself and in generated arguments;
- ``state``: a dict of game state; the reply mentions at least one value verbatim (a
  ``Game state:`` section in the system prompt, JSON or ``key: value`` lines, works too);
- ``world_keys``: the keys of ``state`` that are world state (true for every player), which the
  NPC says as such ("word is the gold is 12", never "you carry 12 gold");
- ``response_style``: ``terse`` | ``normal`` | ``verbose`` | ``dramatic``;
- ``template``: an NPC template id (``merchant``, ``villain``, ...) or a template object with
  ``id``, ``system_prompt`` and ``response_style``.

How fast a stream is delivered is the provider's own setting (``chunk_delay``, from
``MG_SANDBOX_CHUNK_DELAY``), never part of the request, so it cannot change an answer.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from local_gateway.providers import tokens
from local_gateway.providers.base import ChatRequest, Completion, StreamEvent, Usage
from local_gateway.providers.sandbox import recollection
from local_gateway.providers.sandbox.choices import answer_choices
from local_gateway.providers.sandbox.json_object import wanted_schema
from local_gateway.providers.sandbox.logprobs import split_by_pieces
from local_gateway.providers.sandbox.phrases import ROLES
from local_gateway.providers.sandbox.schema_instances import Hints, generate
from local_gateway.providers.sandbox.text import (
    Picker,
    StateItem,
    intent_of,
    last_user_text,
    split_state_section,
    split_words,
    state_items,
    system_text,
    topic_of,
)
from local_gateway.providers.sandbox.tools import build_call, choose, tool_specs
from local_gateway.providers.sandbox.voice import STYLES, Persona, Reply, compose, derive_persona

__all__ = ["SandboxProvider", "answer", "fingerprint", "truncate_to_tokens"]

# Content streams word by word; argument text in pieces cut where the token counter cuts.
_WORD = re.compile(r"\s*\S+")
_PIECE = re.compile(r"\s*(?:[A-Za-z0-9_]+|[^\sA-Za-z0-9_])")


class SandboxProvider:
    """A :class:`~local_gateway.providers.base.Provider` that answers offline and deterministically."""

    name = "sandbox"

    def __init__(
        self, chunk_delay: float = 0.0, answerer: Callable[[ChatRequest], Completion] | None = None
    ) -> None:
        # Seconds between stream chunks: a testing knob that lets a test slow a stream down.
        self.chunk_delay = max(chunk_delay, 0.0)
        # The template engine, or a real small model grounded by it (MG_SANDBOX_MODEL): that
        # one takes a second or so of CPU, so it runs off the event loop.
        self.answerer = answerer or answer
        self.engine = "template" if answerer is None else "smollm2"

    async def _answer(self, request: ChatRequest) -> Completion:
        if self.answerer is answer:
            return answer_choices(request, answer, fingerprint)
        return await asyncio.to_thread(answer_choices, request, self.answerer, fingerprint)

    async def complete(self, request: ChatRequest) -> Completion:
        """The whole answer at once (``n`` choices of it)."""
        return await self._answer(request)

    async def stream(self, request: ChatRequest) -> AsyncGenerator[StreamEvent, None]:
        """The same answer in OpenAI delta form: role, content words, tool calls, finish, usage;
        with ``n > 1`` the choices' events take turns, each with its ``index``."""
        result = await self._answer(request)
        lanes = [_choice_events(choice, index) for index, choice in enumerate(result.choices)]
        for step in range(max(map(len, lanes))):
            if step:  # the role arrives at once; every later step after the chunk delay
                await asyncio.sleep(self.chunk_delay)
            for lane in lanes:
                if step < len(lane):
                    yield lane[step]
        yield StreamEvent(usage=result.usage)


def _choice_events(result: Completion, index: int) -> list[StreamEvent]:
    """One choice as a stream: the role, content word by word, tool calls in pieces, the finish."""
    events = [StreamEvent(delta={"role": "assistant", "content": ""}, index=index)]
    pieces = _split(result.content or "", _WORD)
    logprobs = split_by_pieces(result.logprobs, pieces) if result.logprobs else [None] * len(pieces)
    for piece, piece_logprobs in zip(pieces, logprobs, strict=True):
        events.append(StreamEvent(delta={"content": piece}, index=index, logprobs=piece_logprobs))
    for number, call in enumerate(result.tool_calls or ()):
        fn = call["function"]
        head = {"index": number, "id": call["id"], "type": "function"}
        delta = {"tool_calls": [{**head, "function": {"name": fn["name"], "arguments": ""}}]}
        events.append(StreamEvent(delta=delta, index=index))
        for fragment in _fragments(fn["arguments"]):
            delta = {"tool_calls": [{"index": number, "function": {"arguments": fragment}}]}
            events.append(StreamEvent(delta=delta, index=index))
    events.append(StreamEvent(finish_reason=result.finish_reason, index=index))
    return events


def _split(text: str, pattern: re.Pattern[str]) -> list[str]:
    pieces = pattern.findall(text)
    rest = text[sum(len(p) for p in pieces) :]
    return [*pieces, rest] if rest else pieces


def _fragments(arguments: str, size: int = 8) -> list[str]:
    """Argument text in pieces of a few tokens, cut where the token counter cuts."""
    out: list[str] = []
    for piece in _split(arguments, _PIECE):
        if out and len(out[-1]) < size:
            out[-1] += piece
        else:
            out.append(piece)
    return out


def fingerprint(request: ChatRequest) -> str:
    """A stable hash of everything that shapes the answer.

    ``max_tokens`` and ``stop`` are left out on purpose: they only cut the answer short, so a
    truncated reply is always a prefix of the full one.
    """
    payload = {
        "model": request.model.id,
        "messages": request.messages,
        "tools": request.tools,
        "tool_choice": request.tool_choice,
        "parallel_tool_calls": request.parallel_tool_calls,
        "response_format": request.response_format,
        "seed": request.seed,
        "context": request.context or {},
    }
    encoded = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()


def truncate_to_tokens(text: str, budget: int) -> tuple[str, bool]:
    """The longest prefix of ``text`` that costs at most ``budget`` tokens, and whether it was cut."""
    spent = end = 0
    for match in _PIECE.finditer(text):
        cost = tokens.count_text(match.group())
        if spent + cost > budget:
            return text[:end], True
        spent += cost
        end = match.end()
    return text, False


def _call_tokens(call: Mapping[str, Any]) -> int:
    fn = call["function"]
    return tokens.count_text(fn["name"]) + tokens.count_text(fn["arguments"])


@dataclass(frozen=True)
class Turn:
    """What a request says about the turn: the player's last line, the system prompt without its
    game-state section, the state (prompt section, then ``context["state"]``) and who answers."""

    user_text: str
    system: str
    state: dict[str, Any]
    persona: Persona


def read_turn(request: ChatRequest) -> Turn:
    context: Mapping[str, Any] = request.context or {}
    user_text = last_user_text(request.messages)
    system, prompt_state = split_state_section(system_text(request.messages))
    state = {**prompt_state, **(context["state"] if isinstance(context.get("state"), Mapping) else {})}
    return Turn(user_text, system, state, derive_persona(system, context, user_text))


def stop_index(text: str, stop: list[str] | None) -> int:
    """Where the first of the ``stop`` sequences starts in ``text``; -1 when none occurs."""
    return min((i for s in stop or () if s and (i := text.find(s)) >= 0), default=-1)


def answer(request: ChatRequest) -> Completion:
    """Work out the full answer to ``request``; both delivery modes send exactly this."""
    context: Mapping[str, Any] = request.context or {}
    messages = request.messages
    turn = read_turn(request)
    user_text, system, state, persona = turn.user_text, turn.system, turn.state, turn.persona
    user_words = split_words(user_text)
    intent = intent_of(user_text) if user_text.strip() else "greeting"
    # "What's your name?" is about the speaker, not about a thing called "name".
    topic = "" if intent in ("identity", "ai") else topic_of(user_text)
    if persona.name and topic.lower() == persona.name.lower():
        topic = ""  # "Farewell, Brokk" is not about a thing called Brokk
    items = _as_world(state_items(state, user_words, intent), context.get("world_keys"))
    picker = Picker(fingerprint(request))
    style = _style(context)
    hints = _hints(persona, topic, user_text, state, picker.seed)

    specs = tool_specs(request.tools)
    answering_tool = bool(messages) and messages[-1].get("role") == "tool"
    chosen, forced = choose(
        specs, request.tool_choice, request.parallel_tool_calls, user_words, answering_tool
    )

    # An NPC answers from the conversation it is in: facts the player gave, prices it quoted.
    remembered = None
    if persona.mode == "npc" and user_text.strip():
        memory = recollection.read(messages, persona.name)
        remembered = recollection.respond(user_text, memory, persona.name or ROLES[persona.role].label)

    def reply(style: str) -> str:
        if remembered is None:
            return compose(Reply(persona, intent, topic, user_words, items, style, picker))
        if style == "terse":
            return remembered
        # The memory line leads (a summary keeps a message's first sentence); a short line in
        # the NPC's voice follows, about nothing else.
        rest = compose(Reply(persona, "statement", "", user_words, items, "terse", picker))
        return f"{remembered} {rest}"

    fmt = (request.response_format or {}).get("type")
    content: str | None
    if fmt == "json_schema":
        content = json.dumps(generate(request.json_schema or {}, hints), ensure_ascii=False)
    elif fmt == "json_object":
        obj = _json_object(
            persona, topic, intent, items, state, hints, f"{system}\n{user_text}", reply(style)
        )
        content = json.dumps(obj, ensure_ascii=False)
    elif chosen and forced:
        content = None
    elif chosen:
        # Dialogue that comes with an action is a line, not a speech.
        content = reply({"normal": "terse", "verbose": "normal"}.get(style, style))
    else:
        content = reply(style)

    # Arguments agree with the line they come with: a price the NPC states ("54 gold") is the
    # price its offer_trade call carries (a price the player named comes first and wins).
    said = replace(hints, text=f"{hints.text}\n{content}") if content else hints
    calls = [build_call(spec, i, said, picker) for i, spec in enumerate(chosen)]
    finish = "tool_calls" if calls else "stop"
    if content and request.stop:
        cut_at = stop_index(content, request.stop)
        if cut_at >= 0:
            content, calls, finish = content[:cut_at], [], "stop"
    if request.max_tokens is not None:
        budget = max(request.max_tokens, 0)
        if content is not None:
            content, cut = truncate_to_tokens(content, budget)
            budget -= tokens.count_text(content)
            if cut:
                calls, finish = [], "length"
        kept = []
        for call in calls:
            if _call_tokens(call) > budget:
                finish = "length"
                break
            kept.append(call)
            budget -= _call_tokens(call)
        calls = kept

    completion_tokens = tokens.count_text(content or "") + sum(_call_tokens(c) for c in calls)
    usage = Usage(tokens.count_messages(messages, request.tools), completion_tokens)
    return Completion(content, calls or None, finish, usage)


# Categories whose lines speak of the player's own ("you carry {v} gold"): not for world state.
_PERSONAL = frozenset({"money", "inventory", "reputation", "quest", "health", "generic"})


def _as_world(items: list[StateItem], world_keys: Any) -> list[StateItem]:
    """World-state items (``context["world_keys"]``) said as true for everyone."""
    world = set(world_keys or ())
    return [
        replace(item, category="world")
        if item.key.split(".")[0] in world and item.category in _PERSONAL
        else item
        for item in items
    ]


def _style(context: Mapping[str, Any]) -> str:
    style = context.get("response_style")
    template = context.get("template")
    if not style and isinstance(template, Mapping):
        style = template.get("response_style")
    return style if style in STYLES else "normal"


def _hints(persona: Persona, topic: str, user_text: str, state: Mapping[str, Any], seed: str) -> Hints:
    values: dict[str, Any] = {k: v for k, v in state.items() if isinstance(v, (str, int, float, bool))}
    if persona.name:
        values["npc_name"] = persona.name
    # Arguments such as item_id need a thing; when the player named none, use what this NPC deals in.
    things = {}
    if persona.mode == "npc":
        role = ROLES[persona.role]
        things = {"item": role.goods, "quest": f"{role.place} errand"}
    return Hints(topic=topic, text=user_text, values=values, seed=seed, things=things)


def _json_object(
    persona: Persona,
    topic: str,
    intent: str,
    items: list[StateItem],
    state: Mapping[str, Any],
    hints: Hints,
    prompt: str,
    line: str,
) -> dict[str, Any]:
    schema = wanted_schema(prompt)
    if schema is not None:
        seeded = Hints(hints.topic, hints.text, hints.values, hints.seed + "|json", hints.things)
        found = generate(schema, seeded)
        assert isinstance(found, dict), "an object schema yields an object"
        return found
    speaker = persona.name or (ROLES[persona.role].label if persona.mode == "npc" else "sandbox")
    obj: dict[str, Any] = {"speaker": speaker, "reply": line, "topic": topic or None, "intent": intent}
    if items:
        top = [item.key for item in items[:2] if item.key in state]
        obj["state"] = {key: state[key] for key in top}
    return obj
