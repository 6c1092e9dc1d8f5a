"""Threads as resources: create (one, a batch, a group scene), read, change, delete, state, actions.

A thread holds one conversation: one NPC and one player, or a group scene of 2–20 NPCs. Every
query is scoped by the developer; another developer's thread is not found (404).

NPCs defined without a player (typically by ``POST /v1/threads/batch`` at game start) act as
the definition of that NPC: when a player first talks to it, the player's own thread starts
from it (system prompt, template, metadata, actions) with an empty history; the definition's
state is world state, which every player's thread sees (:mod:`.world_state`).
"""

from __future__ import annotations

import builtins
import copy
import json
from collections.abc import Sequence
from typing import Any

from local_gateway.providers.sandbox.text import persona_name
from local_gateway.services.accounts.keys import Principal
from local_gateway.services.core.clock import Clock
from local_gateway.services.core.ids import new_id
from local_gateway.services.npc.memory import RecallCache
from local_gateway.services.npc.params import (
    STATE_MAX,
    GroupSpec,
    Patch,
    ThreadSpec,
)
from local_gateway.services.npc.recorder import TurnRecorder, event, thread_created
from local_gateway.services.npc.scenes import find_participant, is_present, new_participant, regroup
from local_gateway.services.npc.scenes import presence as presence
from local_gateway.services.npc.studio_templates import TemplateService, check_state
from local_gateway.services.npc.templates import Template
from local_gateway.services.npc.world_state import StateView, check_scope, own_scope, world_thread_of
from local_gateway.store import events as event_store
from local_gateway.store import memory as memory_store
from local_gateway.store import messages as message_store
from local_gateway.store import threads as thread_store
from local_gateway.store.db import Database
from local_gateway.store.thread_records import MessageRecord, NewMessage, ThreadRecord
from mg.errors import InvalidRequestError, NotFoundError
from mg.times import format_time


def merge_patch(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """RFC 7396 JSON Merge Patch: objects merge key by key, null removes, anything else replaces."""
    result = dict(target)
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            base = result.get(key)
            result[key] = merge_patch(base if isinstance(base, dict) else {}, value)
        else:
            result[key] = value
    return result


def thread_labels(thread: ThreadRecord) -> dict[str, str]:
    labels = {p["npc_id"]: p.get("name") or p["npc_id"] for p in thread.participants or ()}
    if thread.npc_id:
        labels.setdefault(thread.npc_id, npc_name(thread))
    if thread.player_id:
        labels.setdefault(thread.player_id, player_label(thread))
    return labels


def npc_name(thread: ThreadRecord, template: Template | None = None) -> str:
    """What the NPC calls itself: the thread's ``metadata.name``, else the name its system prompt or
    template gives ("You are Brokk, a grumpy dwarf" -> Brokk), and only then its npc_id."""
    name = thread.metadata.get("name")
    if isinstance(name, str) and name:
        return name
    for prompt in (thread.system_prompt, template.system_prompt if template else None):
        found = persona_name(prompt or "")
        if found:
            return found
    return thread.npc_id or (template.name if template else "NPC")


def player_label(thread: ThreadRecord) -> str:
    name = thread.metadata.get("player_name")
    return str(name) if isinstance(name, str) and name else "Player"


class ThreadService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        templates: TemplateService,
        recorder: TurnRecorder,
        recall: RecallCache,
    ) -> None:
        self.db = db
        self.clock = clock
        self.templates = templates
        self.recorder = recorder
        self.recall = recall

    # -- creation ------------------------------------------------------------------------------

    def _values(self, spec: ThreadSpec, template: Template | None) -> dict[str, Any]:
        actions = spec.actions
        if actions is None:
            actions = copy.deepcopy(template.actions) if template else []
        return {
            "kind": "single",
            "npc_id": spec.npc_id,
            "player_id": spec.player_id,
            "npc_template": spec.npc_template,
            "npc_template_version": template.version if template else None,
            "system_prompt": spec.system_prompt,
            "response_style": spec.response_style,
            "metadata": spec.metadata,
            "state": spec.state,
            "actions": actions,
        }

    async def _insert(self, session: Any, developer_id: str, values: dict[str, Any]) -> ThreadRecord:
        now = self.clock.now()
        thread = await thread_store.insert_thread(
            session, id=new_id("thr"), developer_id=developer_id, created_at=now, updated_at=now, **values
        )
        await event_store.append(session, developer_id, [thread_created(thread, now)])
        return thread

    async def create(self, principal: Principal, spec: ThreadSpec) -> ThreadRecord:
        template = await self.templates.resolve(principal.developer_id, spec.npc_template)
        if "state" in spec.given:
            check_state(template, spec.state)
        async with self.db.write() as session:
            return await self._insert(session, principal.developer_id, self._values(spec, template))

    async def batch(
        self, principal: Principal, specs: Sequence[ThreadSpec]
    ) -> list[tuple[ThreadRecord, bool]]:
        """Create (or update, when the NPC and player already have a thread) all or none."""
        dev = principal.developer_id
        templates = await self.templates.resolve_many(
            dev, [(s.npc_template, f"npcs[{i}].npc_template") for i, s in enumerate(specs)]
        )
        out: list[tuple[ThreadRecord, bool]] = []
        async with self.db.write() as session:
            for i, (spec, template) in enumerate(zip(specs, templates, strict=True)):
                assert spec.npc_id is not None
                await thread_store.lock_key(session, f"{dev}\x00{spec.npc_id}\x00{spec.player_id or ''}")
                existing = await thread_store.find_thread(session, dev, spec.npc_id, spec.player_id)
                if existing is None:
                    if "state" in spec.given:
                        check_state(template, spec.state, f"npcs[{i}].state")
                    out.append((await self._insert(session, dev, self._values(spec, template)), True))
                    continue
                values = {k: v for k, v in self._values(spec, template).items() if k in spec.given}
                if "npc_template" in spec.given:
                    values["npc_template_version"] = template.version if template else None
                    if "actions" not in spec.given and template:
                        values["actions"] = copy.deepcopy(template.actions)
                if "state" in spec.given:
                    kept = template if "npc_template" in spec.given else await self.template_of(existing)
                    check_state(kept, spec.state, f"npcs[{i}].state")
                elif "npc_template" in spec.given:
                    check_state(template, existing.state, named_by=f"npcs[{i}].npc_template")
                if values:
                    values["updated_at"] = self.clock.now()
                    updated = await thread_store.update_thread(session, dev, existing.id, **values)
                    assert updated is not None
                    existing = updated
                out.append((existing, False))
        return out

    async def find_or_create(
        self,
        principal: Principal,
        npc_id: str,
        player_id: str | None,
        template_id: str | None,
        system_prompt: str | None,
    ) -> ThreadRecord:
        """The thread a chat completion with ``npc_id`` continues, created on first contact
        (from ``template_id``, unless a player-less definition of the NPC says otherwise)."""
        dev = principal.developer_id
        async with self.db.read() as session:
            found = await thread_store.find_thread(session, dev, npc_id, player_id)
        if found is not None:
            return found
        template = await self.templates.resolve(dev, template_id)
        async with self.db.write() as session:
            await thread_store.lock_key(session, f"{dev}\x00{npc_id}\x00{player_id or ''}")
            found = await thread_store.find_thread(session, dev, npc_id, player_id)
            if found is not None:
                return found
            base = await thread_store.find_thread(session, dev, npc_id, None) if player_id else None
            if base is not None:
                values = {
                    "kind": "single",
                    "npc_id": npc_id,
                    "player_id": player_id,
                    "npc_template": base.npc_template,
                    "npc_template_version": base.npc_template_version,
                    "system_prompt": base.system_prompt or system_prompt,
                    "response_style": base.response_style,
                    "metadata": dict(base.metadata),
                    "state": {},  # the base's state is world state: read when the NPC speaks
                    "actions": copy.deepcopy(base.actions),
                }
            else:
                spec = ThreadSpec(
                    npc_id=npc_id,
                    player_id=player_id,
                    npc_template=template.id if template else None,
                    system_prompt=system_prompt,
                )
                values = self._values(spec, template)
            return await self._insert(session, dev, values)

    async def create_group(self, principal: Principal, spec: GroupSpec) -> ThreadRecord:
        templates = await self.templates.resolve_many(
            principal.developer_id,
            [(p["npc_template"], f"npcs[{i}].npc_template") for i, p in enumerate(spec.npcs)],
        )
        for template in templates:
            check_state(template, spec.state)
        participants = [
            new_participant(p, start=1, template=t) for p, t in zip(spec.npcs, templates, strict=True)
        ]
        values = {
            "kind": "group",
            "npc_id": None,
            "player_id": spec.player_id,
            "npc_template": None,
            "system_prompt": spec.system_prompt,
            "response_style": None,
            "metadata": spec.metadata,
            "state": spec.state,
            "actions": spec.actions or [],
            "participants": participants,
        }
        async with self.db.write() as session:
            return await self._insert(session, principal.developer_id, values)

    # -- reading -------------------------------------------------------------------------------

    async def template_of(
        self, thread: ThreadRecord, participant: dict[str, Any] | None = None
    ) -> Template | None:
        """The copy of the template a thread (or an NPC of a scene) was made from; None when it
        has none, or a built-in it named is gone."""
        ref: dict[str, Any] = participant if participant is not None else {
            "npc_template": thread.npc_template, "npc_template_version": thread.npc_template_version
        }  # fmt: skip
        return await self.templates.for_thread(
            thread.developer_id, ref.get("npc_template"), ref.get("npc_template_version")
        )

    async def default_model(self, thread: ThreadRecord, npc_id: str | None) -> str | None:
        """The default model of the template the NPC that speaks (``npc_id`` in a scene) was made from."""
        participant = (find_participant(thread, npc_id or "") or {}) if thread.is_group else None
        template = await self.template_of(thread, participant)
        return template.default_model if template else None

    async def templates_of(self, thread: ThreadRecord) -> list[Template]:
        """The templates whose state schema the thread's state must match: its own, or those of
        the NPCs present in a scene."""
        if not thread.is_group:
            found = [await self.template_of(thread)]
        else:
            found = [await self.template_of(thread, p) for p in thread.participants or () if is_present(p)]
        return [t for t in found if t is not None]

    async def get(self, developer_id: str, thread_id: str) -> ThreadRecord:
        async with self.db.read() as session:
            thread = await thread_store.get_thread(session, developer_id, thread_id)
        if thread is None:
            raise NotFoundError(f"No thread '{thread_id}'.")
        return thread

    async def memory(self, thread: ThreadRecord) -> dict[str, Any]:
        async with self.db.read() as session:
            summary = await memory_store.get_summary(session, thread.id, "")
            count = await memory_store.memory_count(session, thread.id)
        return {
            "summary": summary.text if summary else None,
            "summarized_through": summary.upto_seq if summary else 0,
            "memories": count,
        }

    async def list(
        self,
        developer_id: str,
        *,
        npc_id: str | None,
        player_id: str | None,
        limit: int,
        before: str | None,
    ) -> tuple[list[ThreadRecord], bool]:
        async with self.db.read() as session:
            cursor = None
            if before is not None:
                anchor = await thread_store.get_thread(session, developer_id, before)
                if anchor is None:
                    raise InvalidRequestError(f"'before' names no thread of yours ({before!r}).")
                cursor = (anchor.created_at, anchor.id)
            rows = await thread_store.list_threads(
                session, developer_id, npc_id=npc_id, player_id=player_id, limit=limit + 1, before=cursor
            )
        return rows[:limit], len(rows) > limit

    async def messages(
        self,
        developer_id: str,
        thread_id: str,
        *,
        limit: int,
        descending: bool,
        after: str | None,
        before: str | None,
    ) -> tuple[builtins.list[MessageRecord], bool]:
        async with self.db.read() as session:
            if await thread_store.get_thread(session, developer_id, thread_id) is None:
                raise NotFoundError(f"No thread '{thread_id}'.")
            seqs: dict[str, int | None] = {}
            for name, value in (("after", after), ("before", before)):
                if value is not None:
                    seq = await message_store.message_seq(session, thread_id, value)
                    if seq is None:
                        raise InvalidRequestError(f"'{name}' names no message of this thread ({value!r}).")
                    seqs[name] = seq
            rows = await message_store.messages_page(
                session,
                thread_id,
                limit=limit + 1,
                descending=descending,
                after_seq=seqs.get("after"),
                before_seq=seqs.get("before"),
            )
        return rows[:limit], len(rows) > limit

    # -- changes -------------------------------------------------------------------------------

    async def update(self, principal: Principal, thread_id: str, patch: Patch) -> ThreadRecord:
        dev = principal.developer_id
        values = dict(patch.values)
        wanted = [(values.get("npc_template"), "npc_template")]
        wanted += [(p["npc_template"], f"add_npcs[{i}].npc_template") for i, p in enumerate(patch.add_npcs)]
        template, *joining = await self.templates.resolve_many(dev, wanted)
        if "npc_template" in values:
            values["npc_template_version"] = template.version if template else None
        async with self.db.write() as session:
            thread = await thread_store.get_thread(session, dev, thread_id, for_update=True)
            if thread is None:
                raise NotFoundError(f"No thread '{thread_id}'.")
            if (patch.add_npcs or patch.remove_npcs) and not thread.is_group:
                raise InvalidRequestError("'add_npcs' and 'remove_npcs' apply to group threads only.")
            if thread.is_group and "npc_id" in values:
                raise InvalidRequestError("'npc_id' does not apply to a group thread; use add_npcs.")
            if "npc_template" in values:
                check_state(template, thread.state, named_by="npc_template")
            for i, newcomer in enumerate(joining):
                check_state(newcomer, thread.state, named_by=f"add_npcs[{i}].npc_template")
            if patch.add_npcs or patch.remove_npcs:
                values["participants"] = regroup(thread, patch, joining)
            values["updated_at"] = self.clock.now()
            updated = await thread_store.update_thread(session, dev, thread_id, **values)
        assert updated is not None
        return updated

    async def delete(self, developer_id: str, thread_id: str) -> None:
        async with self.db.write() as session:
            if not await thread_store.delete_thread(session, developer_id, thread_id):
                raise NotFoundError(f"No thread '{thread_id}'.")
        self.recall.drop(thread_id)

    async def get_state(self, developer_id: str, thread_id: str) -> StateView:
        """A thread's own state and the world state that applies to it."""
        async with self.db.read() as session:
            thread = await thread_store.get_thread(session, developer_id, thread_id)
            if thread is None:
                raise NotFoundError(f"No thread '{thread_id}'.")
            return StateView(thread, await world_thread_of(session, thread))

    async def set_state(
        self, principal: Principal, thread_id: str, patch: dict[str, Any], mode: str, scope: str | None = None
    ) -> StateView:
        """Merge (RFC 7396) or replace the game state of ``scope`` (the thread's own by default;
        ``world`` on a player's thread writes its NPC's player-less thread, made when missing),
        recording ``thread.state_changed`` on the thread written."""
        if mode not in ("merge", "replace"):
            raise InvalidRequestError(f"'mode' must be 'merge' or 'replace', got {mode!r}.")
        dev = principal.developer_id
        async with self.db.write() as session:
            thread = await thread_store.get_thread(session, dev, thread_id, for_update=True)
            if thread is None:
                raise NotFoundError(f"No thread '{thread_id}'.")
            if check_scope(thread, scope) == own_scope(thread):
                thread = await self._write_state(session, thread, patch, mode)
                return StateView(thread, await world_thread_of(session, thread))
            world = await world_thread_of(session, thread, for_update=True)
            if world is None:
                world = await self._insert(session, dev, self._world_values(thread))
            world = await self._write_state(session, world, patch, mode)
            return StateView(thread, world)

    @staticmethod
    def _world_values(thread: ThreadRecord) -> dict[str, Any]:
        """A player-less thread for ``thread``'s NPC, made from it, to hold world state."""
        return {
            "kind": "single",
            "npc_id": thread.npc_id,
            "player_id": None,
            "npc_template": thread.npc_template,
            "npc_template_version": thread.npc_template_version,
            "system_prompt": thread.system_prompt,
            "response_style": thread.response_style,
            "metadata": dict(thread.metadata),
            "state": {},
            "actions": copy.deepcopy(thread.actions),
        }

    async def _write_state(
        self, session: Any, thread: ThreadRecord, patch: dict[str, Any], mode: str
    ) -> ThreadRecord:
        dev = thread.developer_id
        new = merge_patch(thread.state, patch) if mode == "merge" else merge_patch({}, patch)
        if len(json.dumps(new)) > STATE_MAX:
            raise InvalidRequestError(f"The state would be larger than {STATE_MAX // 1024} KB.")
        for template in await self.templates_of(thread):
            check_state(template, new)
        changed = sorted(k for k in set(thread.state) | set(new) if thread.state.get(k) != new.get(k))
        now = self.clock.now()
        updated = await thread_store.update_thread(session, dev, thread.id, state=new, updated_at=now)
        assert updated is not None
        data = {
            "thread_id": thread.id,
            "npc_id": thread.npc_id,
            "player_id": thread.player_id,
            "scope": own_scope(thread),
            "mode": mode,
            "changed_keys": changed,
            "state": new,
            "updated_at": format_time(now),
        }
        await event_store.append(session, dev, [event("thread.state_changed", data, now)])
        return updated

    async def set_actions(
        self, principal: Principal, thread_id: str, actions: builtins.list[dict[str, Any]]
    ) -> ThreadRecord:
        async with self.db.write() as session:
            updated = await thread_store.update_thread(
                session, principal.developer_id, thread_id, actions=actions, updated_at=self.clock.now()
            )
        if updated is None:
            raise NotFoundError(f"No thread '{thread_id}'.")
        return updated

    async def append(
        self, principal: Principal, thread_id: str, messages: builtins.list[dict[str, Any]]
    ) -> builtins.list[MessageRecord]:
        """Add messages as they are (history from elsewhere, narration, what an NPC was told)."""
        thread = await self.get(principal.developer_id, thread_id)
        new: list[NewMessage] = []
        speakers: list[str] = []
        for i, m in enumerate(messages):
            name = m.get("name")
            if thread.is_group and m["role"] == "assistant":
                p = find_participant(thread, name or "")
                if p is None:
                    raise InvalidRequestError(
                        f"'messages[{i}].name' must name an NPC of this group for an assistant message."
                    )
                if isinstance(name, str) and name not in speakers:
                    speakers.append(name)
            if name is None and not thread.is_group:
                # Speakers of a one-NPC thread are known: its NPC and its player.
                name = {"assistant": thread.npc_id, "user": thread.player_id}.get(m["role"])
            new.append(
                NewMessage(m["role"], m.get("content"), name, m.get("tool_calls"), m.get("tool_call_id"))
            )
        if not thread.is_group and thread.npc_id:
            speakers = [thread.npc_id]
        return await self.recorder.store(
            thread,
            new,
            labels=thread_labels(thread),
            player_label=player_label(thread),
            interaction_npcs=speakers,
        )
