"""One conversation of ``mg chat``: its settings, its history, and sending a turn.

Shared by the one-shot command and the REPL; the REPL's slash commands change the settings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mg.client import MonsterClient
    from mg.types import ChatCompletion


@dataclass
class ChatSettings:
    model: str
    system: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    npc_id: str | None = None
    template: str | None = None
    player_id: str | None = None
    thread_id: str | None = None

    def describe(self) -> str:
        who = self.npc_id or "the model"
        if self.template:
            who += f" ({self.template})"
        return f"{who} · {self.model}"


@dataclass
class Conversation:
    client: MonsterClient
    settings: ChatSettings
    history: list[dict[str, Any]] = field(default_factory=list)
    last: ChatCompletion | None = None

    @property
    def npc_turns(self) -> bool:
        """Turns of an NPC thread: the gateway keeps that conversation, so only new words are sent."""
        s = self.settings
        return bool(s.npc_id or s.thread_id or s.template)

    def request(self, text: str) -> dict[str, Any]:
        s = self.settings
        messages = [{"role": "system", "content": s.system}] if s.system else []
        # A plain model needs the whole conversation every time; an NPC thread holds it already
        # (also across sessions), and a cut-short reply here must not read as new turns there.
        messages += [*([] if self.npc_turns else self.history), {"role": "user", "content": text}]
        return {
            "model": s.model,
            "messages": messages,
            "temperature": s.temperature,
            "max_tokens": s.max_tokens,
            "npc_id": s.npc_id,
            "npc_template": s.template,
            "player_id": s.player_id,
            "thread_id": s.thread_id,
        }

    def complete(self, text: str) -> ChatCompletion:
        """One turn without streaming (for --json)."""
        completion = self.client.chat.completions.create(**self.request(text))
        self._record(text, completion)
        return completion

    def stream(self, text: str, reply: Any, label: str | None = None) -> ChatCompletion | None:
        """One streamed turn shown through ``reply``; Ctrl-C drops the connection and re-raises.

        Dropping the connection is what tells the gateway to stop: it cancels the upstream call
        and records what was produced. The partial reply stays in the history, as it was seen.
        """
        stream = None
        reply.start(label)
        try:
            stream = self.client.chat.completions.create(**self.request(text), stream=True)
            for chunk in stream:
                reply.feed(chunk.text)
        except KeyboardInterrupt:
            if stream is not None:
                stream.close()
                self._record(text, stream.completion)
            reply.cancel()
            raise
        except BaseException:
            reply.abort()
            raise
        completion = stream.completion
        reply.finish(completion)
        self._record(text, completion)
        return completion

    def _record(self, text: str, completion: ChatCompletion) -> None:
        self.last = completion
        self.history.append({"role": "user", "content": text})
        message = completion.choices[0].message.to_dict() if completion.choices else None
        if message and (message.get("content") or message.get("tool_calls")):
            self.history.append(message)
        if completion.thread_id and not self.settings.thread_id:
            self.settings.thread_id = completion.thread_id

    def clear(self) -> None:
        self.history.clear()
        self.last = None

    def save(self, path: Path) -> Path:
        path = path.expanduser()
        s = self.settings
        if path.suffix.lower() in (".md", ".markdown", ".txt"):
            lines = [f"# Conversation with {s.describe()}", ""]
            if s.system:
                lines += [f"> system: {s.system}", ""]
            for m in self.history:
                who = "you" if m["role"] == "user" else (s.npc_id or "assistant")
                lines += [f"**{who}:** {m.get('content') or ''}", ""]
            path.write_text("\n".join(lines), encoding="utf-8")
        else:
            data = {
                "model": s.model,
                "npc_id": s.npc_id,
                "npc_template": s.template,
                "player_id": s.player_id,
                "thread_id": s.thread_id,
                "system": s.system,
                "messages": self.history,
            }
            path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path

    # --- the NPC side, used by /template and /state ----------------------------------------------

    def find_thread(self) -> str | None:
        """The NPC thread of this conversation: given, learned from a reply, or looked up."""
        if self.settings.thread_id:
            return self.settings.thread_id
        if not self.settings.npc_id:
            return None
        threads = self.client.threads.list(
            npc_id=self.settings.npc_id, player_id=self.settings.player_id, limit=1
        )
        if threads:
            self.settings.thread_id = threads[0].get("id")
        return self.settings.thread_id


def route_missing(exc: BaseException) -> bool:
    """A 404 for the route itself (this gateway predates the feature), not for an id."""
    from mg.errors import NotFoundError

    return isinstance(exc, NotFoundError) and exc.message.startswith("No route for")


def parse_state(arg: str) -> dict[str, Any]:
    """``/state`` arguments: a JSON object, or ``key=value`` pairs (values parsed as JSON if they can be)."""
    arg = arg.strip()
    if arg.startswith("{"):
        value = json.loads(arg)
        if not isinstance(value, dict):
            raise ValueError("the state must be a JSON object")
        return value
    import shlex

    out: dict[str, Any] = {}
    for pair in shlex.split(arg):
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"'{pair}' is not key=value")
        try:
            out[key] = json.loads(raw)
        except ValueError:
            out[key] = raw
    return out
