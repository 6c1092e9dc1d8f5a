"""What ``response_format: json_object`` should look like, read from the prompt.

OpenAI's JSON mode promises only *some* JSON object; the caller says in the prompt which one
("Answer in JSON with keys name, rarity and damage", a JSON example, or a whole JSON Schema such
as LangChain's ``PydanticOutputParser`` puts in its format instructions). :func:`wanted_schema`
turns that into a JSON Schema the sandbox's generator fills, so a game's parser (or a Pydantic
model behind ``with_structured_output(method="json_mode")``) gets the keys, and the types, it
described. Read in this order, the first that gives keys wins:

1. a JSON Schema in the prompt (an object with ``properties``; the last one, as format
   instructions put theirs after their examples);
2. a JSON example in the prompt (``{"item": "Iron sword", "price": 40}``): its keys, each typed
   after its value; a value that is a type's name (``"integer"``) is that type;
3. ``"key":`` pairs in an example that is not valid JSON (``{"item": ..., "price": ...}``);
4. keys the prose names: "with keys / fields / properties name, rarity and damage (integer)".
"""

from __future__ import annotations

import json
import re
from typing import Any

from local_gateway.providers.sandbox.text import STOPWORDS

__all__ = ["wanted_schema"]

_KEYS_PHRASE = re.compile(r"\b(?:keys|fields|properties|attributes)\b\s*[:(]?\s*([^.\n]+)", re.IGNORECASE)
_QUOTED_KEY = re.compile(r"\"([A-Za-z_][A-Za-z0-9_]{0,40})\"\s*:")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TYPED = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(\s*(?:an?\s+)?([A-Za-z]+)\s*\)")
_TYPE_NAMES = {
    "string": "string", "str": "string", "text": "string",
    "integer": "integer", "int": "integer", "number": "number", "float": "number",
    "boolean": "boolean", "bool": "boolean", "array": "array", "list": "array", "object": "object",
}  # fmt: skip
_MAX_KEYS = 12
_MAX_SCAN = 20_000  # characters of prompt searched for JSON
_MAX_STARTS = 64  # braces tried as the start of a JSON value


def wanted_schema(prompt: str) -> dict[str, Any] | None:
    """A JSON Schema of the object the prompt asks for, or None when it names no keys."""
    blocks = _json_objects(prompt[:_MAX_SCAN])
    schemas = [b for b in blocks if _is_schema(b)]
    if schemas:
        schema = dict(schemas[-1])
        schema.setdefault("type", "object")
        schema.setdefault("required", list(schema["properties"])[:_MAX_KEYS])
        return schema
    examples = [b for b in blocks if b]
    if examples:
        return _schema_of(examples[0])
    keys = list(dict.fromkeys(_QUOTED_KEY.findall(prompt) + _named_keys(prompt)))[:_MAX_KEYS]
    if not keys:
        return None
    types = {
        name: _TYPE_NAMES[kind.lower()]
        for name, kind in _TYPED.findall(prompt)
        if kind.lower() in _TYPE_NAMES
    }
    properties = {k: ({"type": types[k]} if k in types else {}) for k in keys}
    return {"type": "object", "properties": properties, "required": keys}


def _json_objects(text: str) -> list[dict[str, Any]]:
    """The JSON objects written in ``text``, in order (not the ones nested in them)."""
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    position = tries = 0
    while tries < _MAX_STARTS and (start := text.find("{", position)) >= 0:
        tries += 1
        try:
            value, end = decoder.raw_decode(text, start)
        except ValueError:
            position = start + 1
            continue
        if isinstance(value, dict):
            found.append(value)
        position = end
    return found


def _is_schema(block: dict[str, Any]) -> bool:
    properties = block.get("properties")
    return (
        isinstance(properties, dict)
        and bool(properties)
        and all(isinstance(p, dict) for p in properties.values())
        and block.get("type", "object") == "object"
    )


def _schema_of(example: Any, depth: int = 0) -> dict[str, Any]:
    """A schema that ``example`` (and values shaped like it) satisfies."""
    if isinstance(example, bool):
        return {"type": "boolean"}
    if isinstance(example, int):
        return {"type": "integer"}
    if isinstance(example, float):
        return {"type": "number"}
    if isinstance(example, str):
        named = _TYPE_NAMES.get(example.strip().lower())
        return {"type": named} if named else {"type": "string"}
    if isinstance(example, list):
        if not example or depth > 4:
            return {"type": "array"}
        return {"type": "array", "items": _schema_of(example[0], depth + 1), "minItems": 1}
    if isinstance(example, dict) and depth <= 4:
        keys = list(example)[:_MAX_KEYS] if depth == 0 else list(example)
        properties = {k: _schema_of(example[k], depth + 1) for k in keys}
        return {"type": "object", "properties": properties, "required": keys}
    return {}


def _named_keys(text: str) -> list[str]:
    """Keys the prose names: "... with keys name, rarity and damage"."""
    keys: list[str] = []
    for phrase in _KEYS_PHRASE.findall(text):
        phrase = re.sub(r"\([^)]*\)", " ", phrase)  # type hints: "damage (integer)"
        for word in re.split(r"\s*,\s*|\s+and\s+|\s+or\s+|\s+", phrase.strip()):
            word = word.strip("`'\"")
            if not _IDENTIFIER.match(word) or word.lower() in STOPWORDS:
                break
            keys.append(word)
    return keys
