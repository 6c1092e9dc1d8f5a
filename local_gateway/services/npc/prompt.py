"""Prompt assembly for one NPC turn: system prompt, history window, and what is new.

The system prompt is built in a fixed order — template, the NPC's own prompt, the scene, the
request's own instructions, response style, the rules of staying in character, the running
summary, recalled memories, and last the game state as a ``Game state:`` section of JSON —
so that a model (and the sandbox engine) always finds each part in the same place.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from local_gateway.providers import tokens
from local_gateway.services.npc.templates import Template
from local_gateway.store.thread_records import MessageRecord

STYLE_GUIDANCE = {
    "terse": "Response style: terse. Answer in one short sentence of at most 15 words.",
    "normal": "Response style: normal. Answer in two to four spoken sentences.",
    "verbose": (
        "Response style: verbose. Answer at length, in five or more sentences rich with detail, "
        "history and opinion."
    ),
    "dramatic": (
        "Response style: dramatic. Answer with theatrical flair: vivid imagery, strong emotion, exclamations."
    ),
}
UNANSWERED_ACTION = "(the action was passed to the game)"


@dataclass
class NpcProfile:
    """Who speaks: the NPC's identity and how it talks."""

    npc_id: str | None
    name: str
    template: Template | None
    system_prompt: str | None
    response_style: str | None


def compose_system(
    profile: NpcProfile,
    *,
    scene_prompt: str | None,
    instructions: Sequence[str],
    style: str,
    state: dict[str, Any],
    summary: str,
    recalled: Sequence[str],
    roster: Sequence[str] | None,
    player_label: str,
    actions: Sequence[str],
) -> str:
    parts: list[str] = []
    if profile.template is not None:
        parts.append(profile.template.system_prompt)
    if profile.system_prompt:
        parts.append(profile.system_prompt)
    if scene_prompt:
        parts.append(f"Scene: {scene_prompt}" if roster else scene_prompt)
    parts.append(f"Your name is {profile.name}.")
    if roster:
        others = ", ".join(roster)
        parts.append(
            f"You are in a scene with {others} and {player_label}. Lines from others appear as "
            f"'Name: words'. Reply only with what {profile.name} says and does."
        )
    parts.extend(i for i in instructions if i.strip())
    parts.append(STYLE_GUIDANCE.get(style, STYLE_GUIDANCE["normal"]))
    rules = (
        f"Stay in character as {profile.name} at all times: never mention being an AI, a language "
        f"model or a game. Speak only for yourself, never for {player_label} or anyone else. "
        "You only know what you have seen, been told, or would know in this world."
    )
    if actions:
        rules += " When you do something in the game, call the matching tool instead of describing it."
    parts.append(rules)
    if summary:
        parts.append(f"What you remember from earlier:\n{summary}")
    if recalled:
        parts.append("Memories that may matter now:\n" + "\n".join(f"- {r}" for r in recalled))
    if state:
        parts.append("Game state:\n" + json.dumps(state, ensure_ascii=False, sort_keys=True))
    return "\n\n".join(p.strip() for p in parts if p and p.strip())


def message_tokens(message: MessageRecord) -> int:
    total = tokens.MESSAGE_OVERHEAD + tokens.count_text(message.content or "")
    for call in message.tool_calls or ():
        fn = call.get("function") or {}
        total += tokens.count_text(str(fn.get("name", ""))) + tokens.count_text(str(fn.get("arguments", "")))
    return total


def fit(history: Sequence[MessageRecord], budget: int) -> list[MessageRecord]:
    """The newest messages that fit in ``budget`` tokens (a tool result never loses its call)."""
    kept: list[MessageRecord] = []
    used = 0
    for message in reversed(history):
        cost = message_tokens(message)
        if used + cost > budget:
            break
        kept.append(message)
        used += cost
    kept.reverse()
    while kept and kept[0].role == "tool":
        kept.pop(0)
    return kept


class Renderer:
    """Stored messages as the model sees them from ``viewer``'s seat (None = one-NPC thread).

    Stateful so that export can feed a long thread page by page: a tool call whose result is
    not in the history gets a placeholder result, as chat APIs require one for every call.
    """

    def __init__(self, *, viewer: str | None, labels: dict[str, str], player_label: str) -> None:
        self.viewer = viewer
        self.labels = labels
        self.player_label = player_label
        self._pending: list[str] = []

    def _close_pending(self, out: list[dict[str, Any]]) -> None:
        for call_id in self._pending:
            out.append({"role": "tool", "tool_call_id": call_id, "content": UNANSWERED_ACTION})
        self._pending.clear()

    def feed(self, history: Sequence[MessageRecord]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for m in history:
            if m.role == "tool":
                if m.tool_call_id in self._pending:
                    self._pending.remove(m.tool_call_id)
                    out.append({"role": "tool", "tool_call_id": m.tool_call_id, "content": m.content or ""})
                continue
            self._close_pending(out)
            if m.role == "assistant" and (self.viewer is None or m.name == self.viewer):
                msg: dict[str, Any] = {"role": "assistant", "content": m.content}
                if m.tool_calls:
                    msg["tool_calls"] = m.tool_calls
                    self._pending.extend(c.get("id", "") for c in m.tool_calls)
                out.append(msg)
            elif m.role == "assistant":
                if m.content:
                    speaker = self.labels.get(m.name or "", m.name or "Someone")
                    out.append({"role": "user", "content": f"{speaker}: {m.content}"})
            elif m.role == "system":
                out.append({"role": "system", "content": m.content or ""})
            elif self.viewer is not None:
                speaker = self.labels.get(m.name or "", m.name or self.player_label)
                out.append({"role": "user", "content": f"{speaker}: {m.content or ''}"})
            else:
                out.append({"role": "user", "content": m.content or ""})
        return out

    def close(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        self._close_pending(out)
        return out


def render(
    history: Sequence[MessageRecord], *, viewer: str | None, labels: dict[str, str], player_label: str
) -> list[dict[str, Any]]:
    renderer = Renderer(viewer=viewer, labels=labels, player_label=player_label)
    return renderer.feed(history) + renderer.close()


def _same(incoming: dict[str, Any], stored: MessageRecord) -> bool:
    return incoming.get("role") == stored.role and _text(incoming.get("content")) == (stored.content or "")


def _text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "\n".join(p.get("text", "") for p in content if isinstance(p, dict))


def new_turns(incoming: Sequence[dict[str, Any]], stored: Sequence[MessageRecord]) -> list[dict[str, Any]]:
    """What the client sends that the thread does not hold yet.

    A client may send only the new message or, as most OpenAI code does, the whole conversation
    again: where the stored history ends inside what was sent, only what follows is new.
    """
    turns = [m for m in incoming if m.get("role") != "system"]
    if not stored or not turns:
        return list(turns)
    last = stored[-1]
    for i in range(len(turns) - 1, -1, -1):
        if not _same(turns[i], last):
            continue
        # Confirm the alignment on up to three earlier messages.
        depth = min(i, len(stored) - 1, 3)
        if all(_same(turns[i - d], stored[-1 - d]) for d in range(1, depth + 1)):
            return list(turns[i + 1 :])
    return list(turns)


def content_text(content: Any) -> str:
    return _text(content)
