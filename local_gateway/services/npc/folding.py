"""Folding old turns into running summaries, after the reply and off the request path.

A fold is due when more than ``window + FOLD_SLACK`` messages of a viewer's history are not yet
summarised; it then folds the oldest, ``FOLD_CHUNK`` at a time, until ``window`` remain. A due
fold is a job of kind ``npc.fold`` on the gateway's job queue, enqueued in the transaction of
the turn that made it due, with one pending job per thread and viewer (its dedupe key): any
gateway process may run it, and one killed in the middle hands it on when its lease runs out.
Folds are optimistic — a summary is written only if nobody folded meanwhile — so a fold that
runs twice (the queue delivers at least once) or beside another process's writes nothing wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from local_gateway.providers import tokens
from local_gateway.providers.base import ChatRequest, ModelInfo, Usage
from local_gateway.providers.embedders import Embedder
from local_gateway.providers.registry import ProviderRoute
from local_gateway.services.accounts.keys import Principal
from local_gateway.services.billing.admission import Admission
from local_gateway.services.billing.context import RequestContext
from local_gateway.services.billing.metering import Meter, price
from local_gateway.services.core.clock import Clock
from local_gateway.services.jobs import JobQueue, JobRecord
from local_gateway.services.npc.memory import importance
from local_gateway.services.npc.summary import (
    ExtractiveSummarizer,
    ModelSummarizer,
    Summarizer,
    archive_text,
)
from local_gateway.services.npc.threads import player_label, thread_labels
from local_gateway.services.npc.vectors import embed_matrix, pack
from local_gateway.store import memory as memory_store
from local_gateway.store import messages as message_store
from local_gateway.store import threads as thread_store
from local_gateway.store.db import Database, Session
from local_gateway.store.thread_records import MessageRecord, NewMemory, ThreadRecord
from mg.errors import CreditsExhaustedError, RateLimitError

log = logging.getLogger("mg.gateway.npc")
FOLD_SLACK = 20
FOLD_CHUNK = 500
FOLD = "npc.fold"
FOLD_ATTEMPTS = 5
# The request-log endpoint of a model summary: a call upstream on the developer's behalf.
SUMMARY_ENDPOINT = "npc.summary"

Ranges = list[tuple[int, int | None]]


class Folder:
    """Decides when a fold is due, enqueues it, and runs it as the ``npc.fold`` job kind
    (registered on ``jobs`` when the folder is built at app start)."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        embedder: Embedder,
        jobs: JobQueue,
        *,
        upstream: ProviderRoute | None = None,
        models: Callable[[str], ModelInfo | None] | None = None,
        meter: Meter | None = None,
        admission: Admission | None = None,
        principals: Callable[[str], Awaitable[Principal | None]] | None = None,
        window: int = 40,
        summary_tokens: int = 600,
    ) -> None:
        self.db = db
        self.clock = clock
        self.embedder = embedder
        self.jobs = jobs
        # A live key's summary asks the thread's model through ``upstream`` and is metered on
        # the key (found again by id with ``principals``) under the turn's request id.
        self.upstream = upstream
        self.models = models
        self.meter = meter
        self.admission = admission
        self.principals = principals
        self.window = window
        self.summary_tokens = summary_tokens
        jobs.kinds.register(FOLD, self.run_job, max_attempts=FOLD_ATTEMPTS)

    def due(self, last_seq: int, summarized_through: int) -> bool:
        return last_seq - summarized_through > self.window + FOLD_SLACK

    async def schedule(
        self,
        session: Session,
        thread: ThreadRecord,
        viewer: str,
        ranges: Ranges | None,
        *,
        ctx: RequestContext,
        model: ModelInfo | None,
        npc_name: str,
    ) -> None:
        """Enqueue a fold of ``viewer``'s history of ``thread`` in the caller's transaction."""
        payload = {
            "thread_id": thread.id,
            "developer_id": thread.developer_id,
            "viewer": viewer,
            "ranges": [list(r) for r in ranges] if ranges is not None else None,
            # Sandbox keys fold extractively; live keys ask the thread's model to summarise.
            "model": model.id if model is not None and ctx.billed else None,
            "npc_name": npc_name,
            "key_id": ctx.key_id,
            "request_id": ctx.request_id,
        }
        await self.jobs.enqueue(session, FOLD, payload, dedupe_key=f"{FOLD}:{thread.id}:{viewer}")

    async def run_job(self, job: JobRecord) -> None:
        """The ``npc.fold`` handler: fold what is due now (a thread deleted meanwhile has none)."""
        p = job.payload
        async with self.db.read() as session:
            thread = await thread_store.get_thread(session, p["developer_id"], p["thread_id"])
        if thread is None:
            return
        ranges = [(lo, hi) for lo, hi in p["ranges"]] if p.get("ranges") is not None else None
        summarizer = await self.summarizer(p)
        await self.fold(thread, p["viewer"], ranges, summarizer)

    async def summarizer(self, payload: dict[str, Any]) -> Summarizer:
        """The thread's model for live keys (when it can be reached, metered), else extraction."""
        model_id = payload.get("model")
        model = self.models(model_id) if model_id and self.models is not None else None
        if model is None or self.upstream is None:
            return ExtractiveSummarizer()
        try:
            provider = self.upstream.provider(model)
        except Exception:
            return ExtractiveSummarizer()
        ctx = await self._context(payload)
        meter, admission = self.meter, self.admission
        if ctx is None or meter is None:
            return ModelSummarizer(provider, model, payload.get("npc_name") or "NPC")
        thread_id = payload["thread_id"]

        async def record(model: ModelInfo, provider: str, usage: Usage) -> None:
            await meter.record(ctx, model, provider, usage, extra={"thread_id": thread_id})

        async def reserve(request: ChatRequest) -> bool:
            # Reserved like any request (prompt + max_tokens); the record above settles it.
            if admission is None:
                return True
            prompt = tokens.count_messages(request.messages, None)
            await admission.release(ctx)  # a previous chunk's call that failed before its record
            try:
                await admission.reserve(ctx, price(ctx, model, Usage(prompt, request.max_tokens or 0)))
            except (CreditsExhaustedError, RateLimitError):
                return False
            return True

        return ModelSummarizer(provider, model, payload.get("npc_name") or "NPC", record, reserve)

    async def _context(self, payload: dict[str, Any]) -> RequestContext | None:
        key_id = payload.get("key_id")
        if self.principals is None or not key_id:
            return None
        principal = await self.principals(key_id)
        if principal is None:
            return None
        return RequestContext(principal, payload.get("request_id") or "", SUMMARY_ENDPOINT)

    async def fold(
        self,
        thread: ThreadRecord,
        viewer: str,
        ranges: Ranges | None,
        summarizer: Summarizer | None = None,
    ) -> None:
        """Fold the oldest unsummarised messages until ``window`` remain (chunk by chunk)."""
        summarizer = summarizer or ExtractiveSummarizer()
        labels, player = thread_labels(thread), player_label(thread)

        def label(m: MessageRecord) -> str:
            if m.role == "assistant":
                return labels.get(m.name or "", m.name or "NPC")
            if m.role == "system":
                return "Narration"
            return labels.get(m.name or "", m.name or player)

        while True:
            async with self.db.read() as session:
                summary = await memory_store.get_summary(session, thread.id, viewer)
                upto = summary.upto_seq if summary else 0
                pending = await message_store.count_after(session, thread.id, upto, ranges)
                if pending <= self.window + FOLD_SLACK:
                    return
                batch = await message_store.oldest_messages(
                    session,
                    thread.id,
                    after_seq=upto,
                    ranges=ranges,
                    limit=min(pending - self.window, FOLD_CHUNK),
                )
            if not batch:
                return
            folded = await summarizer.fold(summary.text if summary else "", batch, label, self.summary_tokens)
            archived = archive_text(folded.archived)
            vectors = await embed_matrix(self.embedder, archived)
            memories = [
                NewMemory("summary", batch[0].seq, batch[-1].seq, text, importance(text), pack(vec))
                for text, vec in zip(archived, vectors, strict=False)
            ]
            async with self.db.write() as session:
                saved = await memory_store.save_summary(
                    session,
                    developer_id=thread.developer_id,
                    thread_id=thread.id,
                    viewer=viewer,
                    text_=folded.text,
                    upto_seq=batch[-1].seq,
                    expected_upto=summary.upto_seq if summary else None,
                    now=self.clock.now(),
                )
                if not saved:
                    return  # another process folded meanwhile; its summary stands
                await memory_store.insert_memories(
                    session, thread.id, thread.developer_id, memories, self.clock.now()
                )
