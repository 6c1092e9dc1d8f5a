"""The small model's reply, grounded and then checked; the template engine answers otherwise.

A 135M model forgets its persona and the facts it is given, so it is never trusted alone:
- what the thread's memory answers exactly (the player's name, a price already quoted, a fact
  just stated) is left to the template engine, which says it right every time;
- the model's prompt puts the NPC's name, the game state and what the player said about
  themselves in front of it;
- its reply is checked — it keeps the persona's name, does not step out of character, does not
  contradict a number of the game state or a price the NPC quoted, does not loop — and a reply
  that fails is replaced by the template engine's (the reason goes to the log).
Tools, JSON formats and empty turns always go to the template engine, which handles them exactly.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from local_gateway.providers import tokens
from local_gateway.providers.base import ChatRequest, Completion, Usage
from local_gateway.providers.sandbox import recollection
from local_gateway.providers.sandbox.engine import read_turn, stop_index, truncate_to_tokens
from local_gateway.providers.sandbox.phrases import ROLES
from local_gateway.providers.sandbox.small_model import SmallModel
from local_gateway.providers.sandbox.text import (
    message_text,
)
from local_gateway.providers.sandbox.voice import Persona

log = logging.getLogger("mg.gateway.sandbox")

Answer = Callable[[ChatRequest], Completion]
HISTORY = 6  # the last turns the model sees; older ones reach it through the facts
REPLY_TOKENS = 120

_OUT_OF_CHARACTER = re.compile(
    r"\b(?:AI|assistant|language model|SmolLM\w*|Hugging ?Face|OpenAI|chatbot)\b", re.IGNORECASE
)
_NAME_CLAIM = re.compile(r"\b(?:I am|I'm|my name is|call me|name's|they call me)\s+([A-Z][a-z'-]+)")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _numeric(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return f"{value:g}"
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        return value.strip()
    return None


def check(
    reply: str, persona: Persona, state: Mapping[str, Any], memory: recollection.Recollection
) -> str | None:
    """Why ``reply`` cannot be sent as the NPC's line, or None when it can."""
    words = reply.split()
    if len(words) < 2:
        return "too short"
    if len(words) >= 12 and len({w.lower() for w in words}) / len(words) < 0.45:
        return "it loops"
    if _OUT_OF_CHARACTER.search(reply):
        return "it stepped out of character"
    if persona.name:
        own = {part.lower() for part in persona.name.split()}
        for claimed in _NAME_CLAIM.findall(reply):
            if claimed.lower() not in own:
                return f"it called itself {claimed}, not {persona.name}"
    # The whole reply, not one sentence: "The longsword? 80 gold." splits the two.
    lowered, said = reply.lower(), set(_NUMBER.findall(reply))
    for key, value in state.items():
        number = _numeric(value)
        subject = str(key).replace("_", " ").lower()
        if number is not None and subject and subject in lowered and said and number not in said:
            return f"it contradicts {key}={number}"
    for quote in memory.quotes:
        quoted = set(_NUMBER.findall(quote.figure))
        if quoted and said and any(w in lowered for w in quote.subject) and not quoted & said:
            return f"it contradicts the {quote.kind} it quoted ({quote.figure})"
    return None


def _facts(state: Mapping[str, Any], memory: recollection.Recollection) -> list[str]:
    lines = [f"{str(k).replace('_', ' ')}: {v}" for k, v in state.items() if isinstance(v, str | int | float)]
    said = memory.facts
    if "name" in said:
        lines.append(f"The player's name is {said['name']}.")
    if "class" in said:
        lines.append(f"The player is a {said['class']}.")
    if "goal" in said:
        lines.append(f"The player is looking for {said['goal']}.")
    lines += [f"You said earlier: {q.sentence}" for q in memory.quotes[-3:]]
    return lines


def prompt(
    messages: Sequence[Mapping[str, Any]],
    persona: Persona,
    system: str,
    state: Mapping[str, Any],
    memory: recollection.Recollection,
) -> list[dict[str, str]]:
    """The model's messages: who it is and what it knows first, then the last few turns."""
    name = persona.name or ROLES[persona.role].label
    parts = [f"You are {name}.", system.strip()]
    known = _facts(state, memory)
    if known:
        parts.append("What you know:\n" + "\n".join(f"- {line}" for line in known))
    parts.append(f"Stay in character as {name}. Answer in one or two short sentences.")
    turns = [
        {"role": str(m.get("role")), "content": message_text(m)}
        for m in messages
        if m.get("role") in ("user", "assistant") and message_text(m).strip()
    ][-HISTORY:]
    return [{"role": "system", "content": "\n".join(p for p in parts if p)}, *turns]


def grounded_answer(request: ChatRequest, model: SmallModel, fallback: Answer) -> Completion:
    """The small model's reply when it passes :func:`check`, else ``fallback``'s (the template
    engine's). Same request, same answer: decoding is greedy."""
    messages = request.messages
    turn = read_turn(request)
    if request.tools or request.response_format or not turn.user_text.strip():
        return fallback(request)
    user_text, system, state, persona = turn.user_text, turn.system, turn.state, turn.persona
    memory = recollection.Recollection()
    if persona.mode == "npc":
        memory = recollection.read(messages, persona.name)
        if recollection.respond(user_text, memory, persona.name or ROLES[persona.role].label) is not None:
            return fallback(request)  # memory has the exact answer
    budget = REPLY_TOKENS if request.max_tokens is None else max(min(request.max_tokens, REPLY_TOKENS), 1)
    reply = model.generate(prompt(messages, persona, system, state, memory), budget)
    problem = check(reply, persona, state, memory)
    if problem is not None:
        log.info("%s reply not used (%s); the template engine answers", model.name, problem)
        return fallback(request)
    finish = "stop"
    cut_at = stop_index(reply, request.stop)
    if cut_at >= 0:
        reply = reply[:cut_at]
    if request.max_tokens is not None:
        reply, cut = truncate_to_tokens(reply, max(request.max_tokens, 0))
        finish = "length" if cut else finish
    usage = Usage(tokens.count_messages(messages, request.tools), tokens.count_text(reply))
    return Completion(reply, None, finish, usage)
