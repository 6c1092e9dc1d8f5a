"""One conversation of ``mg chat``: its settings, its history, and sending a turn.

Shared by the one-shot command and the REPL; the REPL's slash commands change the settings.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

if TYPE_CHECKING:
    from mg.client import MonsterClient, Stream
    from mg.types import ChatCompletion


@dataclass
class ChatSettings:
    # None only in a group scene: the gateway then uses the scene's last model.
    model: str | None
    system: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    npc_id: str | None = None
    template: str | None = None
    player_id: str | None = None
    thread_id: str | None = None
    # A group scene (its thread id), and who is to speak next there (None: the gateway picks).
    group: str | None = None
    speaker: str | None = None

    def describe(self) -> str:
        if self.group:
            model = self.model or "the scene's model"
            return f"scene {self.group} · {model}"
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
    # In a group scene, its thread as the gateway shows it (NPCs, their names, who is present).
    scene: dict[str, Any] = field(default_factory=dict)

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

    def speak_request(self, text: str | None) -> dict[str, Any]:
        """The body of ``POST /v1/threads/{scene}/speak``: the player's new line, if any."""
        s = self.settings
        messages = [{"role": "system", "content": s.system}] if s.system else []
        if text:
            messages.append({"role": "user", "content": text})
        return {
            "npc_id": s.speaker,
            "messages": messages or None,
            "model": s.model,
            "temperature": s.temperature,
            "max_tokens": s.max_tokens,
        }

    @overload
    def _send(self, text: str | None, stream: Literal[False]) -> ChatCompletion: ...
    @overload
    def _send(self, text: str | None, stream: Literal[True]) -> Stream: ...
    def _send(self, text: str | None, stream: bool) -> ChatCompletion | Stream:
        if self.settings.group:
            return self.client.threads.speak(self.settings.group, stream=stream, **self.speak_request(text))
        return self.client.chat.completions.create(**self.request(text or ""), stream=stream)

    def complete(self, text: str | None) -> ChatCompletion:
        """One turn without streaming (for --json)."""
        completion = self._send(text, stream=False)
        self._record(text, completion)
        return completion

    def stream(self, text: str | None, reply: Any, label: str | None = None) -> ChatCompletion | None:
        """One streamed turn shown through ``reply``; Ctrl-C drops the connection and re-raises.

        Dropping the connection is what tells the gateway to stop: it cancels the upstream call
        and records what was produced. The partial reply stays in the history, as it was seen.
        In a scene the reply is labelled with the name of whoever speaks, known from its first chunk.
        """
        stream: Stream | None = None
        started = False

        def start(npc_id: str | None = None) -> None:
            nonlocal started
            if not started:
                started = True
                reply.start(
                    label or (self.name_of(npc_id or self.settings.speaker) if self.settings.group else None)
                )

        if not self.settings.group:
            start()
        try:
            stream = self._send(text, stream=True)
            for chunk in stream:
                start(chunk.raw.get("npc_id"))
                reply.feed(chunk.text)
            start()
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

    def _record(self, text: str | None, completion: ChatCompletion) -> None:
        self.last = completion
        if text:
            self.history.append({"role": "user", "content": text})
        message = completion.choices[0].message.to_dict() if completion.choices else None
        if message and self.settings.group and completion.npc_id:
            message["name"] = completion.npc_id
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
                who = "you" if m["role"] == "user" else self.name_of(m.get("name") or s.npc_id) or "assistant"
                if m.get("content") or not m.get("tool_calls"):
                    lines += [f"**{who}:** {m.get('content') or ''}", ""]
                lines += _action_lines(who, m.get("tool_calls"))
            path.write_text("\n".join(lines), encoding="utf-8")
        else:
            data = {
                "model": s.model,
                "npc_id": s.npc_id,
                "npc_template": s.template,
                "player_id": s.player_id,
                "thread_id": s.thread_id,
                "group": s.group,
                "system": s.system,
                "messages": self.history,
            }
            path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path

    # --- group scenes ------------------------------------------------------------------------------

    def load_scene(self) -> dict[str, Any]:
        """The scene's thread (its NPCs and their names); a usage error if it is no scene."""
        from mg.cli._errors import UsageError

        assert self.settings.group
        scene = self.client.threads.get(self.settings.group)
        if scene.get("type") != "group":
            raise UsageError(
                f"Thread {self.settings.group} is not a group scene.",
                f"Talk to its NPC with: mg chat --thread {self.settings.group}",
            )
        self.scene = scene
        return scene

    def present(self) -> list[dict[str, Any]]:
        """The scene's NPCs who are there now."""
        return [n for n in self.scene.get("npcs") or () if n.get("present", True)]

    def name_of(self, npc_id: str | None) -> str | None:
        """The name an NPC goes by in the scene (its id outside scenes)."""
        for n in self.scene.get("npcs") or ():
            if n.get("npc_id") == npc_id:
                return n.get("name") or npc_id
        return npc_id

    def find_speaker(self, wanted: str) -> str:
        """The npc_id of a present NPC given by id or name (any case); ValueError names who is there."""
        for reload in (False, True):
            if reload:  # the game may have brought someone in since the scene was read
                self.load_scene()
            for n in self.present():
                if wanted.lower() in (str(n.get("npc_id")).lower(), str(n.get("name") or "").lower()):
                    return str(n["npc_id"])
        there = ", ".join(f"{n.get('name')} ({n['npc_id']})" for n in self.present())
        raise ValueError(f"'{wanted}' is not in scene {self.settings.group}; present: {there or 'nobody'}")

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


def _action_lines(who: str, tool_calls: list[dict[str, Any]] | None) -> list[str]:
    """A transcript's record of the actions (tool calls) in one message: a list, then a blank line."""
    from mg.cli._render import action_calls

    calls = action_calls(tool_calls)
    if not calls:
        return []
    return [*(f"- *{who} acts:* {_code(name)} {_code(args)}" for name, args in calls), ""]


def _code(text: str) -> str:
    """``text`` as markdown inline code, fenced with more backticks than it holds in a row."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def route_missing(exc: BaseException) -> bool:
    """A 404 for the route itself (this gateway predates the feature), not for an id."""
    from mg.errors import NotFoundError

    return isinstance(exc, NotFoundError) and exc.message.startswith("No route for")


def parse_state(arg: str) -> dict[str, Any]:
    """``/state`` arguments: a JSON object, or ``key=value`` pairs (values parsed as JSON if they can be)."""
    from mg.cli._input import parse_object_or_pairs

    return parse_object_or_pairs(arg)
