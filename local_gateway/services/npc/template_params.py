"""Validation of a template body (POST, PUT, PATCH): every error names the field.

The fields a developer writes are those of the TOML file a studio keeps in its repository::

    id, name, tags, description, system_prompt, response_style, default_model,
    actions, examples, state_schema

``actions`` are checked exactly as a thread's actions are, and ``state_schema`` against the
JSON Schema meta-schema. Whether ``default_model`` is in the catalog, and whether the id is
free, are the service's to check (they need the catalog and the database).
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from typing import Any

from local_gateway.services.inference.params import RESPONSE_STYLES, check_schema
from local_gateway.services.npc.actions import normalize_actions
from local_gateway.services.npc.params import PROMPT_MAX, check_fields, require_object
from mg.errors import InvalidRequestError

TEMPLATE_ID = re.compile(r"^[a-z][a-z0-9_-]{1,63}$")
_TAG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
NAME_MAX = 100
DESCRIPTION_MAX = 1000
TAGS_MAX = 16
EXAMPLES_MAX = 20
EXAMPLE_LINE_MAX = 1000
STATE_SCHEMA_MAX = 16 * 1024

FIELDS = (
    "id", "name", "tags", "description", "system_prompt", "response_style", "default_model",
    "actions", "examples", "state_schema",
)  # fmt: skip
REQUIRED = ("name", "system_prompt")
DEFAULTS: dict[str, Any] = {
    "tags": [],
    "description": "",
    "response_style": "normal",
    "default_model": None,
    "actions": [],
    "examples": [],
    "state_schema": None,
}


@dataclass
class TemplateInput:
    """A checked body: the fields it set (PUT and POST: all of them) and the version it edited."""

    id: str | None
    fields: dict[str, Any]
    version: int | None = None


def check_template_id(value: Any, where: str = "id") -> str:
    if not isinstance(value, str) or not TEMPLATE_ID.match(value):
        raise InvalidRequestError(
            f"'{where}' must be a slug of 2 to 64 lower-case letters, digits, '_' or '-' that starts "
            f"with a letter, got {value!r}.",
            remediation="For example 'dwarven_smith' or 'tavern-bard'.",
        )
    return value


def _text(value: Any, name: str, limit: int, *, required: bool) -> str:
    if not isinstance(value, str):
        raise InvalidRequestError(f"'{name}' must be a string, got {type(value).__name__}.")
    if len(value) > limit:
        raise InvalidRequestError(
            f"'{name}' is {len(value)} characters; a template's {name} takes at most {limit}."
        )
    if required and not value.strip():
        raise InvalidRequestError(f"'{name}' must not be empty.")
    return value


def _tags(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise InvalidRequestError("'tags' must be an array of strings.")
    if len(value) > TAGS_MAX:
        raise InvalidRequestError(f"'tags' has {len(value)} tags; a template takes at most {TAGS_MAX}.")
    for i, tag in enumerate(value):
        if not isinstance(tag, str) or not _TAG.match(tag):
            raise InvalidRequestError(
                f"'tags[{i}]' must be 1 to 32 lower-case letters, digits, '_' or '-', got {tag!r}."
            )
        if tag in value[:i]:
            raise InvalidRequestError(f"'tags[{i}]' repeats the tag {tag!r}.")
    return list(value)


def _style(value: Any) -> str:
    if value not in RESPONSE_STYLES:
        raise InvalidRequestError(
            f"'response_style' must be one of {', '.join(RESPONSE_STYLES)}, got {value!r}."
        )
    return str(value)


def _model(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 100:
        raise InvalidRequestError(f"'default_model' must be a model id such as deepseek-chat, got {value!r}.")
    return value


def _examples(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list):
        raise InvalidRequestError("'examples' must be an array of {player, reply} exchanges.")
    if len(value) > EXAMPLES_MAX:
        raise InvalidRequestError(
            f"'examples' has {len(value)} exchanges; a template takes at most {EXAMPLES_MAX}."
        )
    out = []
    for i, example in enumerate(value):
        where = f"examples[{i}]"
        example = require_object(example, f"'{where}'")
        check_fields(example, {"player", "reply"}, where)
        for key in ("player", "reply"):
            if key not in example:
                raise InvalidRequestError(f"Missing required field '{where}.{key}'.")
            _text(example[key], f"{where}.{key}", EXAMPLE_LINE_MAX, required=True)
        out.append({"player": example["player"], "reply": example["reply"]})
    return out


def _state_schema(value: Any) -> dict[str, Any]:
    check_schema(value, "state_schema")
    if len(json.dumps(value)) > STATE_SCHEMA_MAX:
        raise InvalidRequestError(f"'state_schema' is larger than {STATE_SCHEMA_MAX // 1024} KB.")
    kind = value.get("type", "object")
    if kind != "object" and not (isinstance(kind, list) and "object" in kind):
        raise InvalidRequestError(
            f"'state_schema' must describe an object (a thread's state is one), but its type is {kind!r}."
        )
    return dict(value)


def _check(name: str, value: Any) -> Any:
    if name == "name":
        return _text(value, "name", NAME_MAX, required=True)
    if name == "description":
        return _text(value, "description", DESCRIPTION_MAX, required=False)
    if name == "system_prompt":
        return _text(value, "system_prompt", PROMPT_MAX, required=True)
    if name == "tags":
        return _tags(value)
    if name == "response_style":
        return _style(value)
    if name == "default_model":
        return _model(value)
    if name == "actions":
        return normalize_actions(value, "actions")
    if name == "examples":
        return _examples(value)
    assert name == "state_schema"
    return _state_schema(value)


def _version(body: dict[str, Any]) -> int | None:
    value = body.get("version")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRequestError(
            f"'version' must be the version you edited (an integer from 1), got {value!r}."
        )
    return value


def parse_template(body: Any, *, path_id: str | None = None, partial: bool = False) -> TemplateInput:
    """POST (no ``path_id``), PUT (``path_id``) or PATCH (``partial``) body, checked."""
    body = require_object(body)
    allowed = set(FIELDS) | ({"version"} if path_id is not None else set())
    check_fields(body, allowed)
    if path_id is None:
        if "id" not in body:
            raise InvalidRequestError("Missing required field 'id'.")
        template_id = check_template_id(body["id"])
    else:
        template_id = path_id
        if "id" in body and body["id"] != path_id:
            raise InvalidRequestError(
                f"'id' is {body['id']!r} but the path names {path_id!r}; a template keeps its id "
                "(create one under the new id, then delete the old one)."
            )
    fields: dict[str, Any] = {}
    for name in FIELDS[1:]:
        if name not in body:
            if partial:
                continue
            if name in REQUIRED:
                raise InvalidRequestError(f"Missing required field '{name}'.")
            fields[name] = copy.deepcopy(DEFAULTS[name])
        elif body[name] is None:
            if name in REQUIRED:
                raise InvalidRequestError(f"'{name}' cannot be null: a template must have one.")
            fields[name] = copy.deepcopy(DEFAULTS[name])
        else:
            fields[name] = _check(name, body[name])
    return TemplateInput(template_id, fields, _version(body))
