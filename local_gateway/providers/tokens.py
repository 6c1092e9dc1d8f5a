"""The one token counter: billing, limits, context checks and ``usage`` all call it.

Real providers tokenise with BPE; offline we approximate it the same way for every model so
that the numbers a developer sees locally are stable and close (within ~15%) to what a live
provider bills for English text: a word of up to four letters is one token, longer words one
token per four letters, and each punctuation mark one token.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

_PIECE = re.compile(r"[A-Za-z0-9_]+|[^\sA-Za-z0-9_]")
# Per-message overhead of the chat format (role markers), as OpenAI documents it.
MESSAGE_OVERHEAD = 4
REPLY_PRIMER = 3


def count_text(text: str) -> int:
    total = 0
    for piece in _PIECE.findall(text):
        total += (len(piece) + 3) // 4 if piece[0].isalnum() or piece[0] == "_" else 1
    return total


def _content_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return "\n".join(parts)
    return json.dumps(content)


def count_messages(messages: Iterable[dict[str, Any]], tools: list[dict[str, Any]] | None = None) -> int:
    total = REPLY_PRIMER
    for message in messages:
        total += MESSAGE_OVERHEAD + count_text(_content_text(message.get("content")))
        for call in message.get("tool_calls") or ():
            fn = call.get("function") or {}
            total += count_text(str(fn.get("name", ""))) + count_text(str(fn.get("arguments", "")))
    if tools:
        total += count_text(json.dumps(tools, separators=(",", ":")))
    return total
