"""Game actions an NPC may trigger: their definitions, the tools the model sees, call checks.

An action is registered as ``{name, description, parameters}``. ``parameters`` is either a full
JSON Schema (``{"type": "object", "properties": …}``) or, as in the API reference, a map of
property name to property schema; the map form makes every property required unless the action
lists ``required`` itself, and allows no other properties.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from local_gateway.lazy import LazyModule
from mg.errors import InvalidRequestError

if TYPE_CHECKING:
    from jsonschema import exceptions as jsonschema_exceptions
    from jsonschema import validators as jsonschema_validators
else:  # imported at first use: only structured output and schemas need it (see local_gateway.lazy)
    jsonschema_exceptions = LazyModule("jsonschema.exceptions")
    jsonschema_validators = LazyModule("jsonschema.validators")

MAX_ACTIONS = 32
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def normalize_actions(
    raw: Any, where: str = "actions", *, check_schemas: bool = True
) -> list[dict[str, Any]]:
    """Check an action list and return it in stored form; errors name the bad entry.

    ``check_schemas=False`` skips only the JSON Schema check of each action's parameters: for
    the built-in templates shipped with the package, whose schemas the test suite checks, so
    that a start does not import jsonschema (about 2 MiB of every gateway's RSS) for them.
    """
    if not isinstance(raw, list):
        raise InvalidRequestError(f"'{where}' must be an array of actions.")
    if len(raw) > MAX_ACTIONS:
        raise InvalidRequestError(f"'{where}' has {len(raw)} actions; at most {MAX_ACTIONS} are allowed.")
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, action in enumerate(raw):
        at = f"{where}[{i}]"
        if not isinstance(action, dict):
            raise InvalidRequestError(f"'{at}' must be an object with a name.")
        name = action.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise InvalidRequestError(f"'{at}.name' must be 1-64 letters, digits, '_' or '-'.")
        if name in seen:
            raise InvalidRequestError(f"'{at}.name' repeats the action {name!r}.")
        seen.add(name)
        description = action.get("description", "")
        if not isinstance(description, str) or len(description) > 1024:
            raise InvalidRequestError(f"'{at}.description' must be a string of at most 1024 characters.")
        params = action.get("parameters", {})
        if not isinstance(params, dict):
            raise InvalidRequestError(f"'{at}.parameters' must be an object.")
        required = action.get("required")
        if required is not None and (
            not isinstance(required, list) or not all(isinstance(r, str) for r in required)
        ):
            raise InvalidRequestError(f"'{at}.required' must be an array of property names.")
        stored: dict[str, Any] = {"name": name, "description": description, "parameters": params}
        if required is not None:
            stored["required"] = required
        if check_schemas:
            schema = action_schema(stored)
            try:
                jsonschema_validators.validator_for(schema).check_schema(schema)
            except jsonschema_exceptions.SchemaError as exc:
                raise InvalidRequestError(f"'{at}.parameters' is not a valid schema: {exc.message}") from exc
        out.append(stored)
    return out


def action_schema(action: dict[str, Any]) -> dict[str, Any]:
    params = action.get("parameters") or {}
    if isinstance(params.get("type"), str):
        return params
    return {
        "type": "object",
        "properties": params,
        "required": list(action.get("required", list(params))),
        "additionalProperties": False,
    }


def as_tools(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "type": "function",
            "function": {
                "name": a["name"],
                "description": a.get("description") or a["name"].replace("_", " "),
                "parameters": action_schema(a),
            },
        }
        for a in actions
    ]


@dataclass(frozen=True)
class CallCheck:
    ok: bool
    arguments: Any = None
    error: str = ""


class CallChecker:
    """Validates tool-call arguments against the schemas of the tools that were offered."""

    def __init__(self, tools: list[dict[str, Any]]) -> None:
        self._validators: dict[str, Any] = {}
        for tool in tools:
            fn = tool.get("function") or {}
            schema = fn.get("parameters") or {"type": "object"}
            self._validators[fn.get("name", "")] = jsonschema_validators.validator_for(schema)(schema)

    @property
    def names(self) -> set[str]:
        return set(self._validators)

    def check(self, call: dict[str, Any]) -> CallCheck:
        fn = call.get("function") or {}
        name = fn.get("name")
        validator = self._validators.get(name) if isinstance(name, str) else None
        if validator is None:
            return CallCheck(False, error=f"there is no action named {name!r}")
        raw = fn.get("arguments") or "{}"
        try:
            args = json.loads(raw) if isinstance(raw, str) else raw
        except json.JSONDecodeError as exc:
            return CallCheck(False, error=f"the arguments are not JSON ({exc.msg})")
        error = next(iter(sorted(validator.iter_errors(args), key=lambda e: list(e.path))), None)
        if error is not None:
            where = "/".join(str(p) for p in error.path) or "arguments"
            return CallCheck(False, error=f"{where}: {error.message}")
        return CallCheck(True, arguments=args)


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _words(text: str) -> list[str]:
    return [_stem(w) for w in re.findall(r"[a-z0-9]+", text.lower())]


def direction_names_action(direction: str, action_names: set[str]) -> str | None:
    """The action a stage direction such as ``*opens the shop*`` names, if any."""
    words = set(_words(direction))
    for name in sorted(action_names):
        parts = _words(name.replace("_", " ").replace("-", " "))
        if parts and all(p in words for p in parts):
            return name
    return None


def check_tool_choice(choice: Any, tools: list[dict[str, Any]] | None) -> None:
    """``tool_choice`` against the tools the turn offers (registered actions included)."""
    names = {t["function"]["name"] for t in tools or ()}
    if choice == "required" and not names:
        raise InvalidRequestError(
            "'tool_choice' is 'required' but neither 'tools' nor the thread's actions offer any."
        )
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name")
        if name not in names:
            raise InvalidRequestError(
                f"'tool_choice' names the function {name!r}, which is neither in 'tools' "
                "nor a registered action."
            )


def merge_tools(
    registered: list[dict[str, Any]], requested: list[dict[str, Any]] | None
) -> list[dict[str, Any]] | None:
    """Registered actions plus the request's own tools (the request wins on a name clash)."""
    names = {t["function"]["name"] for t in requested or ()}
    merged = [t for t in registered if t["function"]["name"] not in names] + list(requested or ())
    return merged or None
