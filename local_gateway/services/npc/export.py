"""Thread export: JSONL in the OpenAI fine-tuning chat format, or JSON.

JSONL has one training example a line, ``{"messages": [...], "tools": [...],
"parallel_tool_calls": true}``, seen from the NPC's seat: its own lines are ``assistant`` (tool
calls included), the player's are ``user``, and in a group scene every other speaker's line is a
``user`` line "Name: words" — one example per NPC of the scene, with only what that NPC was
present for. Messages before an example's first reply and after its last are left out (they
teach nothing), so every line holds at least one assistant message.

Everything is streamed: threads a page at a time, messages a page at a time, and a line is
written while it is built, so a 100,000-message export runs in flat memory.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from local_gateway.services.accounts.keys import Principal
from local_gateway.services.npc import prompt
from local_gateway.services.npc.actions import as_tools
from local_gateway.services.npc.params import ExportSpec
from local_gateway.services.npc.scenes import find_participant
from local_gateway.services.npc.studio_templates import TemplateService
from local_gateway.services.npc.threads import (
    npc_name,
    player_label,
    presence,
    thread_labels,
)
from local_gateway.store import messages as message_store
from local_gateway.store import threads as thread_store
from local_gateway.store.db import Database
from local_gateway.store.thread_records import MessageRecord, ThreadRecord
from mg.times import format_time

THREAD_PAGE = 100
MESSAGE_PAGE = 1000
FLUSH_BYTES = 64 * 1024
MAX_HELD = 1000


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def message_object(m: MessageRecord) -> dict[str, Any]:
    return {
        "id": m.id,
        "object": "thread.message",
        "thread_id": m.thread_id,
        "seq": m.seq,
        "role": m.role,
        "name": m.name,
        "content": m.content,
        "tool_calls": m.tool_calls,
        "tool_call_id": m.tool_call_id,
        "model": m.model,
        "created_at": format_time(m.created_at),
    }


class _Buffer:
    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def add(self, data: bytes) -> bool:
        self.parts.append(data)
        self.size += len(data)
        return self.size >= FLUSH_BYTES

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts, self.size = [], 0
        return data


class ExportService:
    def __init__(self, db: Database, templates: TemplateService) -> None:
        self.db = db
        self.templates = templates

    async def stream(self, principal: Principal, spec: ExportSpec) -> AsyncIterator[bytes]:
        out = _Buffer()
        if spec.format == "json":
            out.add(b'{"object":"list","data":[')
        first = True
        async for thread in self._threads(principal.developer_id, spec):
            if spec.format == "json":
                async for piece in self._json_thread(thread, spec, first):
                    first = False
                    if out.add(piece):
                        yield out.take()
                continue
            for viewer in self._viewers(thread, spec):
                async for piece in self._jsonl_lines(thread, viewer, spec):
                    if out.add(piece):
                        yield out.take()
        if spec.format == "json":
            out.add(b"]}\n")
        if out.size:
            yield out.take()

    async def _threads(self, developer_id: str, spec: ExportSpec) -> AsyncIterator[ThreadRecord]:
        after = None
        wanted = set(spec.thread_ids) if spec.thread_ids is not None else None
        while True:
            async with self.db.read() as session:
                page = await thread_store.threads_page(
                    session,
                    developer_id,
                    npc_id=spec.npc_id,
                    player_id=spec.player_id,
                    thread_ids=sorted(wanted) if wanted is not None else None,
                    after=after,
                    limit=THREAD_PAGE,
                )
            for thread in page:
                if spec.npc_id and thread.is_group and find_participant(thread, spec.npc_id) is None:
                    continue
                yield thread
            if len(page) < THREAD_PAGE:
                return
            after = page[-1].id

    def _viewers(self, thread: ThreadRecord, spec: ExportSpec) -> list[str | None]:
        if not thread.is_group:
            return [None]
        return [p["npc_id"] for p in thread.participants or () if spec.npc_id in (None, p["npc_id"])]

    async def _pages(
        self, thread: ThreadRecord, spec: ExportSpec, ranges: list[tuple[int, int | None]] | None
    ) -> AsyncIterator[list[MessageRecord]]:
        after = 0
        while True:
            async with self.db.read() as session:
                page = await message_store.messages_page(
                    session,
                    thread.id,
                    limit=MESSAGE_PAGE,
                    descending=False,
                    after_seq=after,
                    since=spec.since,
                    until=spec.until,
                    ranges=ranges,
                )
            if page:
                yield page
            if len(page) < MESSAGE_PAGE:
                return
            after = page[-1].seq

    async def _json_thread(self, thread: ThreadRecord, spec: ExportSpec, first: bool) -> AsyncIterator[bytes]:
        head = {
            "thread_id": thread.id,
            "type": thread.kind,
            "npc_id": thread.npc_id,
            "player_id": thread.player_id,
            "npc_template": thread.npc_template,
            "npc_template_version": thread.npc_template_version,
            "system_prompt": thread.system_prompt,
            "metadata": thread.metadata,
            "npcs": [p["npc_id"] for p in thread.participants] if thread.participants else None,
            "actions": thread.actions,
        }
        yield (b"" if first else b",") + _dumps(head)[:-1] + b',"messages":['
        sep = b""
        async for page in self._pages(thread, spec, None):
            for m in page:
                yield sep + _dumps(message_object(m))
                sep = b","
        yield b"]}"

    async def _system(self, thread: ThreadRecord, viewer: str | None) -> str:
        labels = thread_labels(thread)
        if viewer is None:
            template = await self.templates.for_thread(
                thread.developer_id, thread.npc_template, thread.npc_template_version
            )
            profile = prompt.NpcProfile(
                thread.npc_id,
                npc_name(thread, template),
                template,
                thread.system_prompt,
                thread.response_style,
            )
            scene, roster = None, None
        else:
            p = find_participant(thread, viewer) or {}
            template = await self.templates.for_thread(
                thread.developer_id, p.get("npc_template"), p.get("npc_template_version")
            )
            profile = prompt.NpcProfile(
                viewer, labels.get(viewer, viewer), template, p.get("system_prompt"), p.get("response_style")
            )
            scene = thread.system_prompt
            roster = [labels[o["npc_id"]] for o in thread.participants or () if o["npc_id"] != viewer]
        style = profile.response_style or (template.response_style if template else None) or "normal"
        return prompt.compose_system(
            profile,
            scene_prompt=scene,
            instructions=(),
            style=style,
            state={},
            summary="",
            recalled=(),
            roster=roster,
            player_label=player_label(thread),
            actions=[a["name"] for a in thread.actions],
        )

    async def _jsonl_lines(
        self, thread: ThreadRecord, viewer: str | None, spec: ExportSpec
    ) -> AsyncIterator[bytes]:
        ranges = None
        if viewer is not None:
            ranges = presence(find_participant(thread, viewer) or {})
        renderer = prompt.Renderer(
            viewer=viewer, labels=thread_labels(thread), player_label=player_label(thread)
        )
        head = (
            [{"role": "system", "content": await self._system(thread, viewer)}] if spec.include_system else []
        )
        tail = b"]"
        if thread.actions:
            tail += b',"tools":' + _dumps(as_tools(thread.actions)) + b',"parallel_tool_calls":true'
        tail += b"}\n"
        held: list[dict[str, Any]] = []  # messages after the line's last reply, written once another comes
        open_line = False
        count = 0

        async def emit(messages: list[dict[str, Any]]) -> AsyncIterator[bytes]:
            nonlocal open_line, count, held
            for msg in messages:
                if spec.max_messages and open_line and count >= spec.max_messages and msg["role"] == "user":
                    yield tail
                    # Tool results belong to the closed line; narration opens the next one.
                    open_line, count = False, 0
                    held = [h for h in held if h["role"] != "tool"]
                if msg["role"] != "assistant":
                    held.append(msg)
                    if len(held) > MAX_HELD:
                        held.pop(0)
                    continue
                pieces = [*held, msg]
                held = []
                if not open_line:
                    pieces = [*head, *pieces]
                    yield b'{"messages":[' + b",".join(_dumps(p) for p in pieces)
                    open_line = True
                else:
                    yield b"," + b",".join(_dumps(p) for p in pieces)
                count += len(pieces)

        async for page in self._pages(thread, spec, ranges):
            async for piece in emit(renderer.feed(page)):
                yield piece
        async for piece in emit(renderer.close()):
            yield piece
        if open_line:
            yield tail
