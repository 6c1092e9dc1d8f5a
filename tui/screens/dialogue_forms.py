"""The dialogs of the dialogue explorer and what their answers become as API bodies."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tui.screens.modals import ChoiceModal, Field, FormModal

_ID = re.compile(r"[^A-Za-z0-9_.:-]+")


def template_options(templates: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The studio's own templates first (with their version), then the built-in ones."""
    own = [t for t in templates if not t.get("builtin", True)]
    builtin = [t for t in templates if t.get("builtin", True)]
    return [(f"{t.get('name') or t['id']} ({t['id']}) · yours v{t.get('version')}", t["id"]) for t in own] + [
        (f"{t.get('name') or t['id']} ({t['id']}) · built-in", t["id"]) for t in builtin
    ]


def new_thread_form(templates: list[dict[str, Any]]) -> FormModal:
    options = template_options(templates)
    first = options[0][1] if options else ""
    return FormModal(
        "New thread from a template",
        [
            Field("template", "Template", first, options=options),
            Field("npc_id", "NPC id (blank: the template's id + _01)", placeholder="blacksmith_01"),
            Field("player_id", "Player id", "player_1"),
            Field("system_prompt", "Extra system prompt (optional)", placeholder="You hate goblins."),
        ],
        submit="Create",
    )


def thread_body(values: dict[str, str]) -> dict[str, Any]:
    template = values.get("template") or None
    npc_id = _ID.sub("_", values.get("npc_id", "").strip()) or f"{template or 'npc'}_01"
    body: dict[str, Any] = {"npc_id": npc_id, "npc_template": template}
    if values.get("player_id", "").strip():
        body["player_id"] = values["player_id"].strip()
    if values.get("system_prompt", "").strip():
        body["system_prompt"] = values["system_prompt"].strip()
    return {k: v for k, v in body.items() if v is not None}


def new_scene_form() -> FormModal:
    return FormModal(
        "New group scene",
        [
            Field(
                "npcs",
                "NPCs: id:template:Name, separated by commas (2 to 20)",
                "guard_1:guard:Bram, healer_1:healer:Ilsa",
            ),
            Field("player_id", "Player id", "player_1"),
            Field("system_prompt", "The scene (optional)", placeholder="A tavern at midnight."),
        ],
        hint="Each NPC remembers only what was said while it was present.",
        submit="Create",
    )


def scene_body(values: dict[str, str]) -> dict[str, Any]:
    npcs = []
    for entry in values.get("npcs", "").split(","):
        parts = [p.strip() for p in entry.split(":")]
        if not parts[0]:
            continue
        npc: dict[str, Any] = {"npc_id": parts[0]}
        if len(parts) > 1 and parts[1]:
            npc["npc_template"] = parts[1]
        if len(parts) > 2 and parts[2]:
            npc["name"] = parts[2]
        npcs.append(npc)
    body: dict[str, Any] = {"npcs": npcs}
    if values.get("player_id", "").strip():
        body["player_id"] = values["player_id"].strip()
    if values.get("system_prompt", "").strip():
        body["system_prompt"] = values["system_prompt"].strip()
    return body


def export_form(thread: dict[str, Any]) -> FormModal:
    who = thread.get("npc_id") or "scene"
    default = Path.cwd() / f"{who}-{thread['id']}.jsonl"
    return FormModal(
        "Export the thread as JSONL (fine-tuning format)",
        [Field("path", "File", str(default))],
        hint="One example a line from the NPC's seat; a scene gives one example per NPC.",
        submit="Export",
    )


def speaker_choice(thread: dict[str, Any], current: str | None) -> ChoiceModal:
    npcs = [p for p in thread.get("npcs") or [] if p.get("present", True)]
    options = [("Whoever the player addresses", "")] + [
        (f"{p.get('name') or p['npc_id']} ({p['npc_id']})", p["npc_id"]) for p in npcs
    ]
    return ChoiceModal("Who speaks next?", options, current=current)


NEW_TEMPLATE = "\x00new"


def template_choice(templates: list[dict[str, Any]], current: str | None) -> ChoiceModal:
    """Which template to open in the editor tab (a built-in opens as a copy of your own)."""
    options = [("A new template of your own", NEW_TEMPLATE), *template_options(templates)]
    return ChoiceModal("Open a template in the editor", options, current=current)


def model_choice(model_ids: list[str], current: str) -> ChoiceModal:
    chat = [m for m in model_ids if "embedding" not in m]
    return ChoiceModal("Model of the next replies", [(m, m) for m in chat], current=current)
