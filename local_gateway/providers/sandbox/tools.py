"""Which tools the sandbox model calls, and with what arguments.

Tools arrive in the OpenAI shape (``{"type": "function", "function": {...}}``) or as the spec's
NPC actions (``{"name", "description", "parameters"}``), whose ``parameters`` may be a bare map of
properties. With ``tool_choice`` "auto" a tool is called when the player's words meet the tool's
name or description (by stem or concept: "wares" meets "open_shop"); "required" always calls at
least one; a named choice calls that one; "none" never calls.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from local_gateway.providers.sandbox.schema_instances import Hints, generate
from local_gateway.providers.sandbox.text import Picker, concepts, split_words

# Words in tool names and descriptions too common to signal intent on their own.
_GENERIC = frozenset(
    {
        "player",
        "item",
        "npc",
        "give",
        "get",
        "offer",
        "present",
        "make",
        "use",
        "set",
        "show",
        "character",
        "target",
        "action",
        "value",
        "current",
        "new",
        "open",
        "do",
        "run",
    }
)
_SCHEMA_WORDS = ("type", "$ref", "anyOf", "oneOf", "allOf", "required")
# A tool is called on "auto" when its name shares a word with the player, or its description two.
_AUTO_THRESHOLD = 2


@dataclass(frozen=True)
class ToolSpec:
    """One callable tool, with its parameters as a full JSON Schema."""

    name: str
    description: str
    parameters: dict[str, Any]


def normalize_parameters(parameters: Any) -> dict[str, Any]:
    """A JSON Schema for a tool's ``parameters``.

    The spec's action form gives a bare property map (``{"item_id": {"type": "string"}}``); it
    becomes an object schema in which every listed property is required.
    """
    if not isinstance(parameters, Mapping) or not parameters:
        return {"type": "object", "properties": {}}
    # In a bare property map every value is a property's schema (a dict); in a schema these
    # keywords hold a string or a list, which tells the two apart.
    if (
        any(isinstance(parameters.get(key), (str, list)) for key in _SCHEMA_WORDS)
        or "properties" in parameters
    ):
        return dict(parameters)
    if all(isinstance(v, Mapping) for v in parameters.values()):
        return {"type": "object", "properties": dict(parameters), "required": list(parameters)}
    return {"type": "object", "properties": {}}


def tool_specs(tools: Sequence[Mapping[str, Any]] | None) -> list[ToolSpec]:
    """The request's tools, in either shape, as :class:`ToolSpec` (nameless entries are skipped)."""
    specs = []
    for tool in tools or ():
        function = tool.get("function")
        fn = function if isinstance(function, Mapping) else tool
        name = fn.get("name")
        if isinstance(name, str) and name:
            description = fn.get("description")
            description = description if isinstance(description, str) else ""
            specs.append(ToolSpec(name, description, normalize_parameters(fn.get("parameters"))))
    return specs


def _name_words(name: str) -> list[str]:
    return re.findall(r"[a-z]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", name).lower())


def _score(spec: ToolSpec, wanted: set[str]) -> int:
    name_hits = concepts(_name_words(spec.name)) - _GENERIC
    desc_hits = concepts(split_words(spec.description)) - _GENERIC - name_hits
    return 2 * len(name_hits & wanted) + len(desc_hits & wanted)


def choose(
    specs: Sequence[ToolSpec],
    tool_choice: Any,
    parallel: bool | None,
    user_words: Sequence[str],
    answering_tool_result: bool,
) -> tuple[list[ToolSpec], bool]:
    """The tools to call, and whether the call was forced (named or "required")."""
    if not specs or tool_choice == "none":
        return [], False
    named = None
    if isinstance(tool_choice, Mapping):
        fn = tool_choice.get("function")
        named = fn.get("name") if isinstance(fn, Mapping) else tool_choice.get("name")
    elif isinstance(tool_choice, str) and tool_choice not in ("auto", "required"):
        named = tool_choice
    if named is not None:
        return [s for s in specs if s.name == named][:1], True
    wanted = concepts(user_words) - _GENERIC
    scored = sorted(((-_score(s, wanted), i, s) for i, s in enumerate(specs)), key=lambda r: (r[0], r[1]))
    matches = [s for neg, _, s in scored if -neg >= _AUTO_THRESHOLD]
    limit = None if parallel is not False else 1
    if tool_choice == "required":
        return (matches or [scored[0][2]])[:limit], True
    if answering_tool_result:
        # The game just returned a tool's result: answer it instead of calling again.
        return [], False
    return matches[:limit], False


def build_call(spec: ToolSpec, index: int, hints: Hints, picker: Picker) -> dict[str, Any]:
    """An OpenAI tool call whose ``arguments`` validate against the tool's parameters."""
    seeded = Hints(hints.topic, hints.text, hints.values, f"{picker.seed}|{spec.name}|{index}", hints.things)
    arguments = generate(spec.parameters, seeded)
    return {
        "id": f"call_{picker.hex(f'call:{index}:{spec.name}')}",
        "type": "function",
        "function": {"name": spec.name, "arguments": json.dumps(arguments, ensure_ascii=False)},
    }
