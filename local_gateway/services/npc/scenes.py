"""The NPCs of a group scene: who is present since when, joining and leaving.

A participant is stored in the thread as ``{npc_id, name, npc_template, npc_template_version,
system_prompt, response_style, present}``; ``present`` lists the spans of message sequence
numbers ``[from, to]`` it was there for (``to`` null while it still is).
"""

from __future__ import annotations

import copy
from typing import Any

from local_gateway.services.npc.params import GROUP_MAX, Patch
from local_gateway.services.npc.templates import Template
from local_gateway.store.thread_records import ThreadRecord
from mg.errors import InvalidRequestError

Ranges = list[tuple[int, int | None]]


def presence(participant: dict[str, Any]) -> Ranges:
    return [(int(lo), None if hi is None else int(hi)) for lo, hi in participant.get("present") or ()]


def is_present(participant: dict[str, Any]) -> bool:
    spans = participant.get("present") or []
    return bool(spans) and spans[-1][1] is None


def find_participant(thread: ThreadRecord, npc_id: str) -> dict[str, Any] | None:
    return next((p for p in thread.participants or () if p["npc_id"] == npc_id), None)


def new_participant(p: dict[str, Any], start: int, template: Template | None) -> dict[str, Any]:
    return {
        "npc_id": p["npc_id"],
        "name": p.get("name") or p["npc_id"],
        "npc_template": p.get("npc_template"),
        "npc_template_version": template.version if template else None,
        "system_prompt": p.get("system_prompt"),
        "response_style": p.get("response_style"),
        "present": [[start, None]],
    }


def regroup(thread: ThreadRecord, patch: Patch, templates: list[Template | None]) -> list[dict[str, Any]]:
    """The participants after ``patch`` (``templates``: those of ``patch.add_npcs``, in order)."""
    participants = copy.deepcopy(thread.participants or [])
    by_id = {p["npc_id"]: p for p in participants}
    for npc in patch.remove_npcs:
        p = by_id.get(npc)
        if p is None or not is_present(p):
            raise InvalidRequestError(f"'remove_npcs' names {npc!r}, who is not in this scene.")
        p["present"][-1][1] = thread.last_seq
    for i, add in enumerate(patch.add_npcs):
        # An NPC that joins late knows only what is said from now on, unless it is told.
        start = 1 if add["knows_history"] else thread.last_seq + 1
        p = by_id.get(add["npc_id"])
        if p is not None and is_present(p):
            raise InvalidRequestError(f"'add_npcs[{i}].npc_id' {add['npc_id']!r} is already in the scene.")
        if p is None:
            p = new_participant(add, start, templates[i])
            participants.append(p)
            by_id[p["npc_id"]] = p
        else:
            p["present"].append([start, None])
            for key in ("name", "npc_template", "system_prompt", "response_style"):
                if add.get(key) is not None and not (key == "name" and add[key] == add["npc_id"]):
                    p[key] = add[key]
            if add.get("npc_template") is not None:
                template = templates[i]
                p["npc_template_version"] = template.version if template else None
    if sum(1 for p in participants if is_present(p)) > GROUP_MAX:
        raise InvalidRequestError(f"A scene holds at most {GROUP_MAX} NPCs at once.")
    return participants
