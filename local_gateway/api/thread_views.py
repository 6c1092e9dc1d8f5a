"""Thread records as the API shows them."""

from __future__ import annotations

from typing import Any

from local_gateway.services.npc.export import message_object
from local_gateway.services.npc.scenes import is_present
from local_gateway.services.npc.world_state import StateView
from local_gateway.store.thread_records import MessageRecord, ThreadRecord
from mg.times import format_time


def _time(moment: Any) -> str | None:
    return format_time(moment) if moment is not None else None


def thread_object(thread: ThreadRecord, memory: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": thread.id,
        "object": "thread",
        "type": thread.kind,
        "npc_id": thread.npc_id,
        "player_id": thread.player_id,
        "npc_template": thread.npc_template,
        "npc_template_version": thread.npc_template_version,
        "system_prompt": thread.system_prompt,
        "response_style": thread.response_style,
        "metadata": thread.metadata,
        "message_count": thread.message_count,
        "last_model": thread.last_model,
        "created_at": _time(thread.created_at),
        "updated_at": _time(thread.updated_at),
        "last_message_at": _time(thread.last_message_at),
    }
    if thread.is_group:
        body["npcs"] = [
            {
                "npc_id": p["npc_id"],
                "name": p.get("name"),
                "npc_template": p.get("npc_template"),
                "npc_template_version": p.get("npc_template_version"),
                "response_style": p.get("response_style"),
                "present": is_present(p),
            }
            for p in thread.participants or ()
        ]
    if memory is not None:
        body["memory"] = memory
    return body


def message_list(rows: list[MessageRecord], has_more: bool) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [message_object(m) for m in rows],
        "first_id": rows[0].id if rows else None,
        "last_id": rows[-1].id if rows else None,
        "has_more": has_more,
    }


def state_object(view: StateView) -> dict[str, Any]:
    """``state`` is the thread's own (``scope`` says which: world on an NPC's player-less thread,
    player on a player's), ``world_state`` the world state that applies to it."""
    world = view.world
    return {
        "object": "thread.state",
        "thread_id": view.thread.id,
        "scope": view.scope,
        "state": view.thread.state,
        "world_state": view.world_state,
        "world_thread_id": world.id if world is not None else None,
        "updated_at": _time(view.thread.updated_at),
    }


def actions_object(thread: ThreadRecord) -> dict[str, Any]:
    return {"object": "thread.actions", "thread_id": thread.id, "actions": thread.actions}
