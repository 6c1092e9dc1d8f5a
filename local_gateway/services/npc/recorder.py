"""Storing turns: messages, the events webhooks will announce, and the memories recall searches.

One transaction holds a turn's messages, its events (``thread.message``, ``thread.action``,
``npc.first_interaction``) and its recall entries, so an acknowledged turn is never half there.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from local_gateway.providers.embedders import Embedder
from local_gateway.services.core.clock import Clock
from local_gateway.services.core.ids import new_id
from local_gateway.services.npc.memory import importance
from local_gateway.services.npc.vectors import embed_matrix, pack
from local_gateway.store import events as event_store
from local_gateway.store import memory as memory_store
from local_gateway.store import messages as message_store
from local_gateway.store import threads as thread_store
from local_gateway.store.db import Database, Session
from local_gateway.store.events import NewEvent
from local_gateway.store.thread_records import MessageRecord, NewMemory, NewMessage, ThreadRecord
from mg.times import format_time

MEMORY_TEXT_LIMIT = 1200


def event(kind: str, data: dict[str, Any], at: datetime, offset: int = 0) -> NewEvent:
    """An event of the thread ``data["thread_id"]`` names (every payload here names one)."""
    # Microsecond offsets keep a transaction's events in time order as well as in sequence.
    return NewEvent(new_id("evt"), kind, data, at + timedelta(microseconds=offset), data["thread_id"])


def thread_created(thread: ThreadRecord, at: datetime) -> NewEvent:
    return event(
        "thread.created",
        {
            "thread_id": thread.id,
            "npc_id": thread.npc_id,
            "player_id": thread.player_id,
            "type": thread.kind,
            "npc_template": thread.npc_template,
            "npc_template_version": thread.npc_template_version,
            "npcs": [p["npc_id"] for p in thread.participants or ()] or None,
            "created_at": format_time(at),
        },
        at,
    )


def exchanges(messages: Sequence[MessageRecord]) -> list[list[MessageRecord]]:
    """Messages cut into exchanges: each player line (or narration) opens a new one."""
    groups: list[list[MessageRecord]] = []
    for m in messages:
        if not groups or (m.role in ("user", "system") and any(x.role == "assistant" for x in groups[-1])):
            groups.append([])
        groups[-1].append(m)
    return groups


def memory_text(group: Sequence[MessageRecord], labels: dict[str, str], player_label: str) -> str:
    lines = []
    for m in group:
        if m.role == "tool":
            continue
        if m.role == "assistant":
            who = labels.get(m.name or "", m.name or "NPC")
        elif m.role == "system":
            who = "Narration"
        else:
            who = labels.get(m.name or "", player_label)
        text = (m.content or "").strip()
        for call in m.tool_calls or ():
            fn = call.get("function") or {}
            text += f" [{fn.get('name')} {fn.get('arguments') or ''}]"
        if text.strip():
            lines.append(f"{who}: {text.strip()}")
    joined = "\n".join(lines)
    return joined[:MEMORY_TEXT_LIMIT]


class TurnRecorder:
    def __init__(self, db: Database, clock: Clock, embedder: Embedder) -> None:
        self.db = db
        self.clock = clock
        self.embedder = embedder

    async def store(
        self,
        thread: ThreadRecord,
        messages: Sequence[NewMessage],
        *,
        labels: dict[str, str],
        player_label: str,
        model: str | None = None,
        interaction_npcs: Sequence[str] = (),
        then: Callable[[Session, list[MessageRecord]], Awaitable[None]] | None = None,
    ) -> list[MessageRecord]:
        """Append ``messages`` with their events and recall entries in one transaction.

        ``then`` runs last inside that transaction, with the stored messages (the turn enqueues
        its fold there, so the job exists exactly when the turn does).
        """
        for m in messages:
            m.id = m.id or new_id("msg")
        now = self.clock.now()
        # Embed before taking the write lock: it is CPU work and needs no database.
        provisional = [
            MessageRecord(
                m.id, thread.id, i, m.role, m.name, m.content, m.tool_calls, m.tool_call_id, None, now
            )
            for i, m in enumerate(messages)
        ]
        groups = exchanges(provisional)
        texts = [memory_text(g, labels, player_label) for g in groups]
        vectors = await embed_matrix(self.embedder, texts) if texts else None
        async with self.db.write() as session:
            stored = await message_store.append_messages(session, thread, messages, now, model)
            by_id = {m.id: m for m in stored}
            memories = []
            for group, text, vector in zip(
                groups, texts, vectors if vectors is not None else (), strict=False
            ):
                if not text:
                    continue
                first, last = by_id[group[0].id], by_id[group[-1].id]
                acted = any(m.tool_calls for m in group)
                memories.append(
                    NewMemory("turn", first.seq, last.seq, text, importance(text, acted), pack(vector))
                )
            await memory_store.insert_memories(session, thread.id, thread.developer_id, memories, now)
            events = await self._events(session, thread, stored, now, interaction_npcs)
            await event_store.append(session, thread.developer_id, events)
            if then is not None:
                await then(session, stored)
        return stored

    async def _events(
        self,
        session: Any,
        thread: ThreadRecord,
        stored: Sequence[MessageRecord],
        now: datetime,
        interaction_npcs: Sequence[str],
    ) -> list[NewEvent]:
        events: list[NewEvent] = []
        n = 0
        if thread.player_id and any(m.role == "user" for m in stored):
            for npc in interaction_npcs:
                if await thread_store.record_interaction(
                    session, thread.developer_id, npc, thread.player_id, thread.id, now
                ):
                    first = {"npc_id": npc, "player_id": thread.player_id, "thread_id": thread.id}
                    events.append(event("npc.first_interaction", first, now, n))
                    n += 1
        for m in stored:
            npc_id = m.name if thread.is_group and m.role == "assistant" else thread.npc_id
            data: dict[str, Any] = {
                "thread_id": thread.id,
                "message_id": m.id,
                "role": m.role,
                "content": m.content,
                "npc_id": npc_id,
                "player_id": thread.player_id,
            }
            if m.name:
                data["name"] = m.name
            if m.tool_calls:
                data["tool_calls"] = m.tool_calls
            events.append(event("thread.message", data, now, n))
            n += 1
            for call in m.tool_calls or ():
                fn = call.get("function") or {}
                try:
                    arguments = json.loads(fn.get("arguments") or "{}")
                except json.JSONDecodeError:
                    arguments = fn.get("arguments")
                action = {
                    "thread_id": thread.id,
                    "message_id": m.id,
                    "npc_id": npc_id,
                    "player_id": thread.player_id,
                    "action": fn.get("name"),
                    "arguments": arguments,
                    "tool_call_id": call.get("id"),
                }
                events.append(event("thread.action", action, now, n))
                n += 1
        return events
