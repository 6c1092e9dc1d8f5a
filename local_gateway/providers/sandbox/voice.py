"""The sandbox model's voice: who is speaking (persona) and what they say (dialogue composition).

A persona comes from the system prompt and the request's context hints: an NPC (role + mood +
name), a game-development expert, or, with no persona at all, the plain sandbox that says what
it is. :func:`compose` builds the reply from phrase tables, sized to the response style:
terse (at most 15 words), normal (30-60), verbose (90 and more) or dramatic (stage directions
and exclamations). Whenever game state is known, the reply mentions at least one value verbatim.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from local_gateway.providers.sandbox.phrases import (
    CORES,
    DISCIPLINES,
    ENGINES,
    EXPERT_CLOSERS,
    EXPERT_DETAILS,
    EXPERT_INTROS,
    EXPERT_TRIGGERS,
    MOODS,
    PLAIN_AI,
    PLAIN_DETAILS,
    PLAIN_MORE,
    PLAIN_NOTE,
    ROLES,
    STATE_LINES,
    TEMPLATES,
    TERSE_STATE,
    VERBOSE_LINES,
)
from local_gateway.providers.sandbox.text import Picker, StateItem, persona_name, split_words

STYLES = ("terse", "normal", "verbose", "dramatic")
TERSE_MAX, NORMAL_MIN, NORMAL_MAX, VERBOSE_MIN = 15, 30, 60, 90


@dataclass(frozen=True)
class Persona:
    """Who answers: ``mode`` is "npc", "expert" or "plain"; ``role`` and ``mood`` key the tables."""

    mode: str
    role: str = "villager"
    mood: str = "neutral"
    name: str | None = None
    engine: str | None = None


def _first_trigger(text: str, table: Mapping[str, Any]) -> str | None:
    best: tuple[int, str] | None = None
    for key, entry in table.items():
        for trigger in entry.triggers:
            found = re.search(rf"\b{re.escape(trigger)}\b", text)
            if found and (best is None or found.start() < best[0]):
                best = (found.start(), key)
    return best[1] if best else None


def derive_persona(system: str, context: Mapping[str, Any], user_text: str) -> Persona:
    """Read the persona from the system prompt and ``context`` (``npc_name``, ``template``)."""
    template = context.get("template")
    template_id = None
    if isinstance(template, Mapping):
        template_id = template.get("id") or template.get("template_id")
        extra = template.get("system_prompt")
        system = f"{system}\n{extra}" if isinstance(extra, str) else system
    elif isinstance(template, str):
        template_id = template
    lowered = system.lower()
    engine = next(
        (e for e in ENGINES if re.search(rf"\b{e}\b", f"{system}\n{user_text}", re.IGNORECASE)),
        None,
    )
    # A template's display name ("Merchant") is its role, not the NPC's name, so it is not used.
    name = context.get("npc_name") if isinstance(context.get("npc_name"), str) else None
    name = name or persona_name(system)
    role = _first_trigger(lowered, ROLES)
    template_role, template_mood = TEMPLATES.get(str(template_id), (None, None))
    mood = _first_trigger(lowered, MOODS)
    if role or template_role:
        role = role or template_role or "villager"
        return Persona("npc", role, mood or template_mood or ROLES[role].mood, name, engine)
    technical = any(re.search(rf"\b{re.escape(t)}\b", lowered) for t in EXPERT_TRIGGERS)
    asks_technical = _discipline({w.lower() for w in split_words(user_text)}) != "general"
    # A generic assistant prompt is no character: it answers plainly unless asked about game dev.
    generic = not system.strip() or re.search(r"\bassistant\b", lowered) is not None
    if technical or (generic and asks_technical):
        return Persona("expert", mood=mood or "neutral", name=name, engine=engine)
    if generic:
        return Persona("plain", name=name, engine=engine)
    return Persona("npc", "villager", mood or "neutral", name, engine)


def _discipline(words: set[str]) -> str:
    for key, (triggers, _, _) in DISCIPLINES.items():
        if words & set(triggers):
            return key
    return "general"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _count(parts: Sequence[str]) -> int:
    return sum(len(p.split()) for p in parts)


def _fill(text: str, **values: str) -> str:
    return _sentence(text.format(**values))


@dataclass
class Reply:
    """The inputs of one reply, gathered by the provider."""

    persona: Persona
    intent: str
    topic: str
    user_words: Sequence[str]
    state: Sequence[StateItem]
    style: str
    picker: Picker


def compose(reply: Reply) -> str:
    """The reply's text, in the persona's voice and the requested style."""
    style = reply.style if reply.style in STYLES else "normal"
    if reply.persona.mode == "expert":
        parts = _expert(reply, style)
    elif reply.persona.mode == "plain":
        parts = _plain(reply, style)
    else:
        parts = _npc(reply, style)
    return " ".join(p.strip() for p in parts if p.strip())


def _state_line(item: StateItem, reply: Reply, place: str, terse: bool = False) -> str:
    pick = reply.picker
    if terse:
        template = TERSE_STATE[item.category]
    else:
        template = pick.choice(f"state:{item.key}", STATE_LINES[item.category])
    # A list (inventory) reads "health_potion and iron_sword"; "Those ... of yours" needs a plural.
    if item.is_list is False and template.startswith("Those"):
        template = STATE_LINES[item.category][0]
    return _fill(template, v=item.text, label=item.label, Label=_sentence(item.label), place=place)


def _fit(required: list[str], optional: Sequence[str], low: int, high: int) -> list[str]:
    parts = list(required)
    for extra in optional:
        if _count(parts) >= low:
            break
        if _count(parts) + len(extra.split()) <= high:
            parts.append(extra)
    return parts


def _npc(reply: Reply, style: str) -> list[str]:
    persona, pick = reply.persona, reply.picker
    role, mood = ROLES[persona.role], MOODS[persona.mood]
    topic = reply.topic
    it = f"the {topic}" if topic else "that"
    who = (
        f"{persona.name}, the {role.label} of this {role.place}" if persona.name else f"the {role.label} here"
    )
    values = {
        "topic": topic,
        "it": it,
        "It": _sentence(it),
        "place": role.place,
        "goods": role.goods,
        "who": who,
    }
    values["craft"] = _fill(pick.choice("craft", role.craft), **values)
    with_topic, without = CORES[reply.intent]
    core = _fill(pick.choice("core", with_topic if topic else without), **values)
    opener = pick.choice("opener", mood.openers)
    attitude = _fill(pick.choice("attitude", mood.attitudes), **values)
    closer = pick.choice("closer", mood.closers)
    states = list(reply.state)

    if style == "terse":
        head = (
            f"The {topic}?"
            if topic and reply.intent not in ("identity", "ai", "greeting", "farewell")
            else ""
        )
        tail = (
            _state_line(states[0], reply, role.place, terse=True)
            if states
            else pick.choice("terse", mood.terse)
        )
        if reply.intent in ("identity", "ai"):
            head = _fill("I'm {who}.", **values)
        parts = [opener, head, tail]
        while _count(parts) > TERSE_MAX and len(parts) > 1:
            parts.pop(0)  # the opener and then the echo go first; the state mention stays
        return parts

    state_lines = [_state_line(item, reply, role.place) for item in states]
    details = list(dict.fromkeys([pick.choice("detail", role.details), *role.details]))
    if style == "verbose":
        intro = (
            [f"I'm {who}, and I've seen a great deal."] if persona.name and reply.intent != "identity" else []
        )
        parts = [opener, core, *intro, attitude, *state_lines[:3]]
        fillers = [*details, *(_fill(line, **values) for line in VERBOSE_LINES)]
        for extra in fillers:
            if _count(parts) >= VERBOSE_MIN + 8:
                break
            parts.append(extra)
        return [*parts, closer]

    if style == "dramatic":
        stage = list(dict.fromkeys([pick.choice("stage", role.stage), *role.stage]))
        loud = [_exclaim(core), _exclaim(attitude)]
        parts = [stage[0], mood.exclaim, *loud, *state_lines[:1]]
        if len(stage) > 1:
            parts.append(stage[1])
        return [*parts, _exclaim(closer)]

    required = [opener, core, attitude, *state_lines[:1]]
    while _count(required) > NORMAL_MAX and len(required) > 2:
        # Long state values can overflow; drop the mood line before the state mention.
        required.pop(2 if len(required) > 3 else 0)
    parts = _fit(required, details, NORMAL_MIN + 4, NORMAL_MAX - 6)
    if _count(parts) + len(closer.split()) <= NORMAL_MAX:
        parts.append(closer)
    return parts


def _exclaim(text: str) -> str:
    return re.sub(r"\.$", "!", text.strip())


def _expert(reply: Reply, style: str) -> list[str]:
    pick = reply.picker
    words = {w.lower() for w in reply.user_words}
    discipline = _discipline(words)
    _, steps, pitfall = DISCIPLINES[discipline]
    fallback = discipline if discipline != "general" else "this"
    topic = reply.topic or fallback
    engine = f" in {reply.persona.engine}" if reply.persona.engine else ""
    intro = _fill(pick.choice("intro", EXPERT_INTROS), topic=topic, engine=engine)
    state = reply.state[0] if reply.state else None
    state_line = f"Given that {state.label} is {state.text}, test that case first." if state else ""
    if style == "terse":
        parts = [f"{_sentence(topic)}: {steps[0][0].lower()}{steps[0][1:]}"]
        if state:
            parts.append(f"{_sentence(state.label)}: {state.text}.")
        while _count(parts) > TERSE_MAX and len(parts) > 1:
            parts.pop(0)
        return parts
    numbered = [f"{i + 1}. {s}" for i, s in enumerate(steps)]
    closer = pick.choice("closer", EXPERT_CLOSERS)
    if style == "verbose":
        extra = [f"Pitfall: {pitfall}"]
        detail = [line.format(topic=topic) for line in EXPERT_DETAILS]
        return [intro, *numbered, state_line, *extra, *detail, closer]
    if style == "dramatic":
        return ["*cracks knuckles*", _exclaim(intro), *numbered[:3], state_line, _exclaim(closer)]
    return [intro, *numbered[:3], state_line, closer]


def _plain(reply: Reply, style: str) -> list[str]:
    pick = reply.picker
    topic = reply.topic
    if reply.intent == "greeting":
        core = "Hello!"
    elif topic:
        core = f"You asked about {topic}."
    else:
        core = "Here is a reply to your message."
    state = reply.state[0] if reply.state else None
    state_line = f"The game state says {state.label} is {state.text}." if state else ""
    if style == "terse":
        parts = ["I'm the offline mg sandbox model." if reply.intent == "ai" else core]
        parts.append(f"{_sentence(state.label)}: {state.text}." if state else "")
        return parts if _count(parts) <= TERSE_MAX else parts[-1:]
    opener = pick.choice("opener", ("Sure.", "Happy to help.", "Alright."))
    # Asked what it is, it says so once; otherwise one note keeps the reply honest.
    parts = [
        opener,
        PLAIN_AI if reply.intent == "ai" else core,
        "" if reply.intent == "ai" else PLAIN_NOTE,
        state_line,
    ]
    if style == "verbose":
        return [*parts, *PLAIN_DETAILS, *PLAIN_MORE]
    if style == "dramatic":
        return ["*clears throat*", _exclaim(opener), *parts[1:], "Behold!"]
    return _fit(parts, PLAIN_DETAILS, NORMAL_MIN + 2, NORMAL_MAX)
