"""A validator of the OpenAI fine-tuning chat format (the checks of OpenAI's data-preparation
cookbook, plus the tool-call rules of the supervised format)."""

from __future__ import annotations

import json
from typing import Any

ROLES = {"system", "user", "assistant", "tool", "function"}
MESSAGE_KEYS = {"role", "content", "name", "function_call", "weight", "tool_calls", "tool_call_id"}


def validate_example(example: Any) -> list[str]:
    """The format errors of one JSONL example (empty when it is valid)."""
    errors: list[str] = []
    if not isinstance(example, dict):
        return ["example is not an object"]
    messages = example.get("messages")
    if not isinstance(messages, list) or not messages:
        return ["missing messages list"]
    tools = example.get("tools")
    tool_names: set[str] | None = None
    if tools is not None:
        if not isinstance(tools, list):
            errors.append("tools is not a list")
        else:
            tool_names = set()
            for tool in tools:
                fn = tool.get("function") if isinstance(tool, dict) else None
                if not (isinstance(tool, dict) and tool.get("type") == "function" and isinstance(fn, dict)):
                    errors.append("tool is not a function tool")
                    continue
                tool_names.add(fn.get("name"))
    if "parallel_tool_calls" in example and not isinstance(example["parallel_tool_calls"], bool):
        errors.append("parallel_tool_calls is not a boolean")
    open_calls: set[str] = set()
    assistants = 0
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or "role" not in m:
            errors.append(f"message {i} has no role")
            continue
        if set(m) - MESSAGE_KEYS:
            errors.append(f"message {i} has unrecognized keys {sorted(set(m) - MESSAGE_KEYS)}")
        role = m["role"]
        if role not in ROLES:
            errors.append(f"message {i} has unrecognized role {role!r}")
        content = m.get("content")
        calls = m.get("tool_calls")
        if role == "assistant":
            assistants += 1
        if content is None and not (role == "assistant" and calls):
            errors.append(f"message {i} is missing content")
        elif content is not None and not isinstance(content, str):
            errors.append(f"message {i} content is not a string")
        if "weight" in m and m["weight"] not in (0, 1):
            errors.append(f"message {i} weight must be 0 or 1")
        if calls is not None:
            if role != "assistant" or not isinstance(calls, list):
                errors.append(f"message {i} tool_calls misplaced")
                continue
            for call in calls:
                fn = call.get("function") or {}
                if call.get("type") != "function" or not call.get("id") or not fn.get("name"):
                    errors.append(f"message {i} has a malformed tool call")
                    continue
                try:
                    json.loads(fn.get("arguments", ""))
                except json.JSONDecodeError:
                    errors.append(f"message {i} tool call arguments are not JSON")
                if tool_names is not None and fn["name"] not in tool_names:
                    errors.append(f"message {i} calls {fn['name']!r}, which is not in tools")
                open_calls.add(call["id"])
        if role == "tool":
            if m.get("tool_call_id") not in open_calls:
                errors.append(f"message {i} answers no earlier tool call")
            else:
                open_calls.discard(m["tool_call_id"])
    if assistants == 0:
        errors.append("example has no assistant message")
    return errors
