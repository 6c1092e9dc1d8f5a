"""A chat completion as a turn of an NPC thread: prepare the prompt, then commit both sides.

``prepare`` finds (or creates) the thread, then assembles the prompt from the template, the
thread's and the request's system prompts, response style, the running summary, recalled
memories, the game state, the registered actions (as tools) and the newest turns that fit the
model's context window. It reads a bounded amount whatever the thread's length: one summary
row, the newest ``window`` messages, and the recall vectors added since the last request.

``commit`` stores what is new in the request and the reply, with their events and memories,
in one transaction; when the unsummarised tail has grown too long, the same transaction
enqueues a fold into the running summary, which a job runner does off the request path (see
:mod:`folding`).

A stream whose client went away is committed late by a task this service tracks (awaited by
:meth:`ConversationService.close`), not by a job: what it commits (the prepared turn, the text
so far) exists only in this process's memory, so a job would first have to write it all to the
database — the very write the task makes.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from local_gateway.providers import tokens
from local_gateway.providers.base import ModelInfo
from local_gateway.providers.embedders import Embedder
from local_gateway.providers.registry import ProviderRoute
from local_gateway.services.accounts.keys import Principal
from local_gateway.services.billing.context import RequestContext
from local_gateway.services.billing.metering import Meter
from local_gateway.services.core.clock import Clock
from local_gateway.services.inference.params import ChatParams
from local_gateway.services.npc import prompt, world_state
from local_gateway.services.npc.actions import CallChecker, as_tools, check_tool_choice, merge_tools
from local_gateway.services.npc.folding import Folder
from local_gateway.services.npc.guard import scene_stops
from local_gateway.services.npc.memory import RecallCache
from local_gateway.services.npc.recorder import TurnRecorder
from local_gateway.services.npc.scenes import find_participant, is_present
from local_gateway.services.npc.studio_templates import TemplateService
from local_gateway.services.npc.templates import Template
from local_gateway.services.npc.threads import ThreadService, npc_name, player_label, presence, thread_labels
from local_gateway.services.npc.turn import TurnResult, TurnRunner, Voice
from local_gateway.services.npc.vectors import content_words, embed_matrix
from local_gateway.store import memory as memory_store
from local_gateway.store import messages as message_store
from local_gateway.store.db import Database, Session
from local_gateway.store.thread_records import MessageRecord, NewMessage, ThreadRecord
from mg.errors import InvalidRequestError

log = logging.getLogger("mg.gateway.npc")
DEFAULT_REPLY_RESERVE = 1024
# The request-log endpoint of a running summary's model call, made after the turn it follows.
SUMMARY_ENDPOINT = "npc.summary"


@dataclass
class PreparedConversation:
    """The assembled prompt of one NPC turn and what ``commit`` needs afterwards."""

    ctx: RequestContext
    # The request's provider route: a fold after the turn summarises through it too.
    upstreams: ProviderRoute
    thread: ThreadRecord | None
    speaker: str | None
    viewer: str
    ranges: list[tuple[int, int | None]] | None
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None
    stop: list[str] | None
    context: dict[str, Any]
    incoming: list[dict[str, Any]]
    labels: dict[str, str]
    player_label: str
    runner: TurnRunner
    model: ModelInfo | None = None
    summary_upto: int = 0
    window_size: int = 0
    recalled: int = 0
    committed: bool = False

    @property
    def thread_id(self) -> str | None:
        return self.thread.id if self.thread else None

    def memory_header(self) -> str:
        """What memory went into the prompt, for developers tuning an NPC (X-Monster-Memory)."""
        return f"window={self.window_size}; summarized_through={self.summary_upto}; recalled={self.recalled}"


class ConversationService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        templates: TemplateService,
        threads: ThreadService,
        recorder: TurnRecorder,
        embedder: Embedder,
        recall: RecallCache,
        folder: Folder,
        *,
        meter: Meter | None = None,
        recall_k: int = 3,
        default_model: str = "deepseek-chat",
    ) -> None:
        self.db = db
        self.clock = clock
        self.templates = templates
        self.threads = threads
        self.recorder = recorder
        self.embedder = embedder
        self.recall = recall
        self.folder = folder
        self.window = folder.window
        self.recall_k = recall_k
        self.meter = meter
        self.default_model = default_model
        self._late: set[asyncio.Task[None]] = set()

    @staticmethod
    def applies(params: ChatParams) -> bool:
        return bool(params.npc_id or params.thread_id or params.npc_template)

    async def speak_defaults(self, principal: Principal, thread_id: str, params: ChatParams) -> ThreadRecord:
        """What ``POST /v1/threads/{id}/speak`` leaves out: the thread is the turn's thread, and the
        model is the one it last spoke with, else the speaking NPC's template default, else the
        gateway's NPC default. Returns the thread, read once, for :meth:`prepare`."""
        thread = await self.threads.get(principal.developer_id, thread_id)
        params.thread_id = thread.id
        params.model = (
            params.model
            or thread.last_model
            or await self.threads.default_model(thread, params.npc_id)
            or self.default_model
        )
        return thread

    # -- prepare -------------------------------------------------------------------------------

    async def prepare(
        self,
        ctx: RequestContext,
        params: ChatParams,
        model: ModelInfo,
        upstreams: ProviderRoute,
        thread: ThreadRecord | None = None,
    ) -> PreparedConversation:
        """The turn's prompt; ``thread`` is the thread already read for it (speak), if any."""
        principal = ctx.principal
        dev = principal.developer_id
        system_msgs = [
            prompt.content_text(m.get("content")) for m in params.messages if m["role"] == "system"
        ]
        if thread is None and params.thread_id:
            thread = await self.threads.get(dev, params.thread_id)
        if thread is not None:
            if not thread.is_group and params.npc_id and thread.npc_id and params.npc_id != thread.npc_id:
                raise InvalidRequestError(
                    f"'npc_id' is {params.npc_id!r} but thread {thread.id} belongs to {thread.npc_id!r}."
                )
        elif params.npc_id:
            thread = await self.threads.find_or_create(
                principal, params.npc_id, params.player_id, params.npc_template,
                system_msgs[0] if system_msgs else None,
            )  # fmt: skip
        if thread is None:
            template = await self.templates.resolve(dev, params.npc_template)
            assert template is not None
            return self._stateless(ctx, upstreams, params, model, template, system_msgs)
        # Naming the thread's own template keeps the thread's copy of it (the version it was
        # made from); another template voices this one turn.
        same = params.npc_template == thread.npc_template
        template = None if same else await self.templates.resolve(dev, params.npc_template)
        return await self._threaded(ctx, upstreams, params, model, thread, template, system_msgs)

    def _stateless(
        self,
        ctx: RequestContext,
        upstreams: ProviderRoute,
        params: ChatParams,
        model: ModelInfo,
        template: Template,
        system_msgs: list[str],
    ) -> PreparedConversation:
        """A template without a thread: the NPC's prompt and actions, no memory."""
        profile = prompt.NpcProfile(None, template.name, template, None, None)
        style = params.response_style or template.response_style
        tools = merge_tools(as_tools(template.actions), params.tools)
        check_tool_choice(params.tool_choice, tools)
        system = prompt.compose_system(
            profile,
            scene_prompt=None,
            instructions=system_msgs,
            style=style,
            state={},
            summary="",
            recalled=(),
            roster=None,
            player_label="Player",
            actions=[t["function"]["name"] for t in tools or ()],
        )
        messages = [{"role": "system", "content": system}] + [
            m for m in params.messages if m["role"] != "system"
        ]
        voice = Voice(
            template.name, {template.name}, {"player", "user"}, {t["function"]["name"] for t in tools or ()}
        )
        context = {"npc_name": template.name, "state": {}, "response_style": style, "template": template.id}
        return PreparedConversation(
            ctx, upstreams, None, None, "", None, messages, tools, params.stop, context, [], {},
            "Player", TurnRunner(voice, CallChecker(tools or [])), model,
        )  # fmt: skip

    async def _threaded(
        self,
        ctx: RequestContext,
        upstreams: ProviderRoute,
        params: ChatParams,
        model: ModelInfo,
        thread: ThreadRecord,
        template: Template | None,
        system_msgs: list[str],
    ) -> PreparedConversation:
        labels = thread_labels(thread)
        player = player_label(thread)
        speaker, viewer, ranges, roster = None, "", None, None
        if thread.is_group:
            speaker = await self._pick_speaker(thread, params)
            participant = find_participant(thread, speaker)
            assert participant is not None
            viewer, ranges = speaker, presence(participant)
            roster = [
                labels[p["npc_id"]]
                for p in thread.participants or ()
                if is_present(p) and p["npc_id"] != speaker
            ]
            own_template = await self.threads.template_of(thread, participant) or template
            profile = prompt.NpcProfile(
                speaker, labels[speaker], own_template, participant.get("system_prompt"),
                participant.get("response_style"),
            )  # fmt: skip
            scene = thread.system_prompt
        else:
            own_template = template or await self.threads.template_of(thread)
            profile = prompt.NpcProfile(
                thread.npc_id, npc_name(thread, own_template), own_template, thread.system_prompt,
                thread.response_style,
            )  # fmt: skip
            scene = None
        style = (
            params.response_style
            or profile.response_style
            or (profile.template.response_style if profile.template else None)
            or "normal"
        )
        instructions = [
            s for s in system_msgs if s.strip() and s.strip() != (thread.system_prompt or "").strip()
        ]
        tools = merge_tools(as_tools(thread.actions), params.tools)
        check_tool_choice(params.tool_choice, tools)
        action_names = [t["function"]["name"] for t in tools or ()]

        async with self.db.read() as session:
            summary = await memory_store.get_summary(session, thread.id, viewer)
            upto = summary.upto_seq if summary else 0
            window = await message_store.recent_messages(
                session, thread.id, after_seq=upto, ranges=ranges, limit=self.window
            )
            incoming = prompt.new_turns(params.messages, window)
            recalled = await self._recall(session, thread, incoming, window, ranges)
            view = await world_state.view_of(session, thread)  # world state, then the player's

        incoming_records = [_pending_record(thread, m, speaker, player) for m in incoming]
        summary_text = summary.text if summary else ""

        def compose(recalled_texts: list[str], summary_text: str) -> str:
            return prompt.compose_system(
                profile, scene_prompt=scene, instructions=instructions, style=style, state=view.visible,
                summary=summary_text, recalled=recalled_texts, roster=roster, player_label=player,
                actions=action_names,
            )  # fmt: skip

        system = compose(recalled, summary_text)
        reserve = params.max_tokens or min(model.max_output or DEFAULT_REPLY_RESERVE, DEFAULT_REPLY_RESERVE)
        rendered_new = prompt.render(incoming_records, viewer=speaker, labels=labels, player_label=player)
        fixed = tokens.count_messages([{"role": "system", "content": system}, *rendered_new], tools)
        budget = model.context_window - reserve - fixed
        if budget < 0 and (recalled or summary_text):
            # A small model: memories and summary give way; the turn itself must fit.
            recalled = []
            system = compose([], "")
            fixed = tokens.count_messages([{"role": "system", "content": system}, *rendered_new], tools)
            budget = model.context_window - reserve - fixed
        history = prompt.fit(window, max(budget, 0))
        rendered = prompt.render(
            [*history, *incoming_records], viewer=speaker, labels=labels, player_label=player
        )
        messages = [{"role": "system", "content": system}, *rendered]
        own = {profile.name, *(x for x in (profile.npc_id,) if x)}
        foreign = {player, "player", "user", *(x for x in (thread.player_id,) if x)}
        if thread.is_group:
            others = [p for p in thread.participants or () if p["npc_id"] != speaker]
            foreign |= {labels[p["npc_id"]] for p in others}
            foreign |= {p["npc_id"] for p in others}
        voice = Voice(profile.name, own, foreign, set(action_names))
        context = {
            "npc_name": profile.name,
            "state": view.visible,
            "world_keys": view.world_keys,  # said as what is true for everyone, not "you carry"
            "response_style": style,
            "template": profile.template.id if profile.template else None,
        }
        return PreparedConversation(
            ctx=ctx,
            upstreams=upstreams,
            thread=thread,
            speaker=speaker,
            viewer=viewer,
            ranges=ranges,
            messages=messages,
            tools=tools,
            stop=scene_stops(params.stop, thread, speaker, labels),
            context=context,
            incoming=incoming,
            labels=labels,
            player_label=player,
            runner=TurnRunner(voice, CallChecker(tools or [])),
            model=model,
            summary_upto=upto,
            window_size=len(history),
            recalled=len(recalled),
        )

    async def _pick_speaker(self, thread: ThreadRecord, params: ChatParams) -> str:
        present = [p for p in thread.participants or () if is_present(p)]
        if params.npc_id:
            p = find_participant(thread, params.npc_id)
            if p is None or not is_present(p):
                raise InvalidRequestError(f"'npc_id' {params.npc_id!r} is not in this scene.")
            return params.npc_id
        if not present:
            raise InvalidRequestError("Nobody is in this scene: add NPCs with PATCH add_npcs.")
        last_user = next(
            (prompt.content_text(m.get("content")) for m in reversed(params.messages) if m["role"] == "user"),
            "",
        )
        # Whoever the player addresses answers; otherwise the one who has waited longest.
        hits: list[tuple[int, str]] = []
        for p in present:
            for name in (p["name"], p["npc_id"]):
                found = re.search(rf"\b{re.escape(name)}\b", last_user, re.IGNORECASE)
                if found:
                    hits.append((found.start(), p["npc_id"]))
        if hits:
            return min(hits)[1]
        async with self.db.read() as session:
            last_spoke = await message_store.last_spoken(session, thread.id)
        waited_longest: str = min(present, key=lambda p: last_spoke.get(p["npc_id"], 0))["npc_id"]
        return waited_longest

    async def _recall(
        self,
        session: Any,
        thread: ThreadRecord,
        incoming: list[dict[str, Any]],
        window: list[MessageRecord],
        ranges: list[tuple[int, int | None]] | None,
    ) -> list[str]:
        query = " ".join(prompt.content_text(m.get("content")) for m in incoming if m.get("role") == "user")
        if not query.strip() or self.recall_k <= 0:
            return []
        index = self.recall.get(thread.id)
        index.extend(await memory_store.memories_after(session, thread.id, index.last_id))
        self.recall.trim()
        before = window[0].seq if window else thread.last_seq + 1
        vector = (await embed_matrix(self.embedder, [query]))[0]
        # Ranked by the memory stream's score, kept only if they share a word with the player's:
        # hashed trigrams rank well but would let a short, unrelated line recall something.
        found = index.search(
            vector, before_seq=before, current_seq=thread.last_seq, ranges=ranges, k=4 * self.recall_k
        )
        texts = await memory_store.memory_texts(session, thread.id, [f.id for f in found])
        keywords = content_words(query)
        kept = [texts[f.id] for f in found if f.id in texts and keywords & content_words(texts[f.id])]
        return kept[: self.recall_k]

    # -- commit --------------------------------------------------------------------------------

    async def commit(self, conv: PreparedConversation, partial_text: str | None = None) -> None:
        """Store the new turns and the reply (or ``partial_text``, what a broken-off stream sent)."""
        partial = partial_text is not None
        if conv.thread is None or conv.committed:
            return
        conv.committed = True
        thread = conv.thread
        model = conv.model.id if conv.model else None
        result = conv.runner.result
        if result is None:
            result = TurnResult(partial_text or None, complete=False)
        new = [
            NewMessage(
                m["role"],
                prompt.content_text(m["content"]) if m.get("content") is not None else None,
                _name(thread, m, conv.speaker, conv.player_label),
                m.get("tool_calls"),
                m.get("tool_call_id"),
            )
            for m in conv.incoming
        ]
        if result.content or result.tool_calls:
            new.append(
                NewMessage(
                    "assistant",
                    result.content,
                    conv.speaker or thread.npc_id,
                    result.tool_calls or None,
                    model=model,
                )
            )
        elif partial:
            return  # nothing was produced: the client will send the turn again
        if not new:
            return
        npcs = [conv.speaker] if conv.speaker else ([thread.npc_id] if thread.npc_id else [])

        async def fold_if_due(session: Session, stored: list[MessageRecord]) -> None:
            if self.folder.due(stored[-1].seq, conv.summary_upto):
                await self.folder.schedule(
                    session, thread, conv.viewer, conv.ranges,
                    ctx=conv.ctx, model=conv.model, npc_name=conv.context["npc_name"],
                )  # fmt: skip

        await self.recorder.store(
            thread,
            new,
            labels=conv.labels,
            player_label=conv.player_label,
            model=model,
            interaction_npcs=npcs,
            then=fold_if_due,
        )

    def commit_later(self, conv: PreparedConversation, partial_text: str) -> None:
        """Commit from a stream whose client went away (no await is possible there)."""
        if conv.thread is None or conv.committed:
            return
        task = asyncio.get_running_loop().create_task(self._logged(self.commit(conv, partial_text)))
        self._late.add(task)
        task.add_done_callback(self._late.discard)

    @staticmethod
    async def _logged(work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except Exception:
            log.exception("late commit of a broken-off stream failed")

    async def close(self) -> None:
        """Wait for the late commits of broken-off streams (at shutdown, before the database closes)."""
        while self._late:
            await asyncio.gather(*list(self._late), return_exceptions=True)


def _name(thread: ThreadRecord, message: dict[str, Any], speaker: str | None, player: str) -> str | None:
    name = message.get("name")
    if message.get("role") == "assistant":
        return (
            name if thread.is_group and find_participant(thread, name or "") else (speaker or thread.npc_id)
        )
    if message.get("role") == "user":
        return name or thread.player_id
    return name


def _pending_record(
    thread: ThreadRecord, m: dict[str, Any], speaker: str | None, player: str
) -> MessageRecord:
    content = m.get("content")
    return MessageRecord(
        id="",
        thread_id=thread.id,
        seq=thread.last_seq + 1,
        role=m["role"],
        name=_name(thread, m, speaker, player),
        content=prompt.content_text(content) if content is not None else None,
        tool_calls=m.get("tool_calls"),
        tool_call_id=m.get("tool_call_id"),
        model=None,
        created_at=thread.updated_at,
    )
