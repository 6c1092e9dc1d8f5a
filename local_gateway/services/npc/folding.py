"""Folding old turns into running summaries, after the reply and off the request path.

A fold is due when more than ``window + FOLD_SLACK`` messages of a viewer's history are not yet
summarised; it then folds the oldest, ``FOLD_CHUNK`` at a time, until ``window`` remain. Folds
are optimistic — a summary is written only if nobody folded meanwhile — so that several gateway
processes can serve one thread, and a fold interrupted by a restart simply happens again at the
next turn. The folds and the late commits of broken-off streams are the only background work
of NPC threads; :meth:`Folder.close` waits for them at shutdown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from local_gateway.providers.base import ModelInfo
from local_gateway.providers.registry import ProviderRoute
from local_gateway.services.core.clock import Clock
from local_gateway.services.npc.embedder import Embedder, embed_matrix, pack
from local_gateway.services.npc.memory import importance
from local_gateway.services.npc.summary import (
    ExtractiveSummarizer,
    ModelSummarizer,
    Summarizer,
    SummaryMeter,
    archive_text,
)
from local_gateway.services.npc.threads import player_label, thread_labels
from local_gateway.store import memory as memory_store
from local_gateway.store import messages as message_store
from local_gateway.store.db import Database
from local_gateway.store.thread_records import MessageRecord, NewMemory, ThreadRecord

log = logging.getLogger("mg.gateway.npc")
FOLD_SLACK = 20
FOLD_CHUNK = 500

Ranges = list[tuple[int, int | None]]


class Folder:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        embedder: Embedder,
        *,
        window: int = 40,
        summary_tokens: int = 600,
    ) -> None:
        self.db = db
        self.clock = clock
        self.embedder = embedder
        self.window = window
        self.summary_tokens = summary_tokens
        self._folding: set[tuple[str, str]] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def due(self, last_seq: int, summarized_through: int) -> bool:
        return last_seq - summarized_through > self.window + FOLD_SLACK

    def summarizer(
        self,
        upstreams: ProviderRoute,
        model: ModelInfo | None,
        npc_name: str,
        meter: SummaryMeter | None = None,
    ) -> Summarizer:
        """The sandbox folds extractively; live keys ask the thread's model to summarise (metered)."""
        if upstreams.sandboxed or model is None:
            return ExtractiveSummarizer()
        try:
            provider = upstreams.provider(model)
        except Exception:
            return ExtractiveSummarizer()
        return ModelSummarizer(provider, model, npc_name, meter)

    def schedule(
        self, thread: ThreadRecord, viewer: str, ranges: Ranges | None, summarizer: Summarizer
    ) -> None:
        """Fold ``viewer``'s history of ``thread`` in the background (once at a time)."""
        key = (thread.id, viewer)
        if key in self._folding:
            return
        self._folding.add(key)

        async def run() -> None:
            try:
                await self.fold(thread, viewer, ranges, summarizer)
            finally:
                self._folding.discard(key)

        self.spawn(run())

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
            vectors = embed_matrix(self.embedder, archived) if archived else []
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

    # -- background work -----------------------------------------------------------------------

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(self._safe(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _safe(work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except Exception:
            log.exception("background thread work failed")

    async def idle(self) -> None:
        """Wait for folds and late commits (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        await self.idle()
