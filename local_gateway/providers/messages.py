"""Helpers the translating adapters share: content parts, data URLs, tool-call arguments."""

from __future__ import annotations

import json
import re
from typing import Any

from local_gateway.providers.base import ChatRequest

_DATA_URL = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?:;[^,]*)?;base64,(?P<data>.*)$", re.S)
_NAME = re.compile(r"[^a-zA-Z0-9_-]")

FINISH_REASONS = ("stop", "length", "tool_calls", "content_filter")


def text_of(content: Any) -> str:
    """The text of an OpenAI message content (a string or a list of parts)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part.get("text", "") for part in content if isinstance(part, dict) and part.get("type") == "text"
        )
    return json.dumps(content)


def data_url(url: str) -> tuple[str, str] | None:
    """``(mime type, base64 data)`` of a ``data:`` URL, or None for any other URL."""
    match = _DATA_URL.match(url)
    if not match:
        return None
    return match.group("mime") or "application/octet-stream", match.group("data")


def image_url(part: dict[str, Any]) -> str:
    spec = part.get("image_url")
    return str(spec.get("url", "")) if isinstance(spec, dict) else str(spec or "")


def arguments(call: dict[str, Any]) -> dict[str, Any]:
    """A tool call's arguments as an object (the OpenAI wire carries them as a JSON string)."""
    raw = (call.get("function") or {}).get("arguments")
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw or "{}")
    except (TypeError, json.JSONDecodeError):
        return {"_raw": raw}
    return value if isinstance(value, dict) else {"value": value}


def tool_name(name: str) -> str:
    """A name every provider accepts for a tool: ``[a-zA-Z0-9_-]{1,64}``."""
    return (_NAME.sub("_", name) or "response")[:64]


def schema_instruction(request: ChatRequest) -> str | None:
    """A system instruction for JSON output where the provider has no native switch for it."""
    fmt = request.response_format or {}
    if fmt.get("type") == "json_object":
        return "Respond with one JSON object and nothing else."
    schema = request.json_schema
    if schema is not None:
        return "Respond with one JSON value and nothing else, valid against this JSON Schema:\n" + json.dumps(
            schema, separators=(",", ":")
        )
    return None


def tool_call(call_id: str, name: str, args: Any) -> dict[str, Any]:
    text = args if isinstance(args, str) else json.dumps(args if args is not None else {})
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": text}}


def append_turn(turns: list[dict[str, Any]], role: str, items: list[dict[str, Any]], key: str) -> None:
    """Add ``items`` as a turn of ``role``, merged into the previous turn when the role repeats.

    Anthropic and Gemini both refuse two consecutive turns of one role; ``key`` is where each keeps
    a turn's pieces (``content`` blocks, ``parts``).
    """
    if not items:
        return
    if turns and turns[-1]["role"] == role:
        turns[-1][key].extend(items)
    else:
        turns.append({"role": role, key: items})
