"""How threads, messages, game state and actions read in a terminal (``mg threads``, ``mg npc``)."""

from __future__ import annotations

import json
from typing import Any

ROLE_NAMES = {"user": "player", "assistant": "npc", "system": "system", "tool": "tool"}


def value_text(value: Any) -> str:
    """A JSON value for a table cell: text as it is, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def thread_who(thread: dict[str, Any]) -> str:
    """Who a thread talks with: its NPC, or the scene's NPCs (gone ones left out)."""
    if thread.get("type") == "group":
        present = [n.get("name") or n["npc_id"] for n in thread.get("npcs") or () if n.get("present", True)]
        return "scene: " + ", ".join(present)
    return thread.get("npc_id") or ""


def scene_names(thread: dict[str, Any]) -> dict[str, str]:
    """npc_id -> the name it goes by in a scene."""
    return {n["npc_id"]: n.get("name") or n["npc_id"] for n in thread.get("npcs") or ()}


def thread_fields(thread: dict[str, Any]) -> list[list[Any]]:
    """``mg threads show``: one row a field, in the order a person reads them."""
    rows: list[list[Any]] = [
        ["id", thread.get("id")],
        ["type", thread.get("type")],
        ["npc", thread_who(thread)],
        ["player", thread.get("player_id")],
        ["template", thread.get("npc_template")],
        ["response style", thread.get("response_style")],
        ["system prompt", thread.get("system_prompt")],
        ["metadata", value_text(thread.get("metadata") or {})],
        ["messages", thread.get("message_count")],
        ["last model", thread.get("last_model")],
        ["created", thread.get("created_at")],
        ["updated", thread.get("updated_at")],
        ["last message", thread.get("last_message_at")],
    ]
    if thread.get("type") == "group":
        npcs = [
            f"{n.get('name') or n['npc_id']} ({n['npc_id']}{'' if n.get('present', True) else ', gone'})"
            for n in thread.get("npcs") or ()
        ]
        rows.append(["npcs", ", ".join(npcs)])
    memory = thread.get("memory") or {}
    if memory:
        rows.append(["memories", memory.get("memories")])
        rows.append(["summarized through", memory.get("summarized_through")])
        rows.append(["summary", memory.get("summary")])
    return [[k, "" if v is None else v] for k, v in rows]


def _call_text(call: dict[str, Any]) -> str:
    fn = call.get("function") or {}
    args = fn.get("arguments") or ""
    try:
        args = json.dumps(json.loads(args), ensure_ascii=False) if args else "{}"
    except ValueError:
        pass
    return f"→ {fn.get('name')} {args}"


def message_row(message: dict[str, Any]) -> list[Any]:
    role = message.get("role") or ""
    who = message.get("name") or ROLE_NAMES.get(role, role)
    text = message.get("content") or ""
    calls = [_call_text(c) for c in message.get("tool_calls") or ()]
    if role == "tool":
        text = f"(result) {text}"
    return [message.get("id"), who, "\n".join([text, *calls]).strip(), message.get("created_at")]


def action_signature(action: dict[str, Any]) -> str:
    """``item_id, price, currency?``: the arguments, optional ones marked with ``?``."""
    params = action.get("parameters") or {}
    if isinstance(params.get("type"), str):
        properties = params.get("properties") or {}
        required = set(params.get("required") or ())
    else:
        properties = params
        required = set(action.get("required", list(params)))
    return ", ".join(name + ("" if name in required else "?") for name in properties)


def action_rows(actions: list[dict[str, Any]]) -> list[list[Any]]:
    return [[a.get("name"), action_signature(a), a.get("description") or ""] for a in actions]


ACTION_COLUMNS = ["action", "arguments (? = optional)", "description"]
