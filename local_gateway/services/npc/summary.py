"""The running summary: older turns folded into a few lines, so a thread never outgrows a model.

The sandbox (and any thread of a test key) folds extractively: each folded message keeps its
first sentence, and when the summary passes its budget the least important, oldest lines leave
it (the exchanges they came from stay reachable through recall). With a live key the model
itself summarises and the summary it replaces is archived into recall; if that call fails the
extractive fold is used, so folding never blocks a conversation.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from local_gateway.providers import tokens
from local_gateway.providers.base import ChatRequest, ModelInfo, Provider, Usage
from local_gateway.services.npc.memory import importance
from local_gateway.store.thread_records import MessageRecord

log = logging.getLogger("mg.gateway.npc")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
MAX_LINE_WORDS = 30

Labeler = Callable[[MessageRecord], str]
# Records a summary's model call (model, provider name, usage) on the developer's account.
SummaryMeter = Callable[[ModelInfo, str, Usage], Awaitable[None]]
# Reserves a summary's worst case before the call; False when the account cannot afford it.
SummaryReserve = Callable[[ChatRequest], Awaitable[bool]]


@dataclass
class Fold:
    text: str
    archived: list[str] = field(default_factory=list)


class Summarizer(Protocol):
    async def fold(
        self, previous: str, messages: Sequence[MessageRecord], label: Labeler, budget_tokens: int
    ) -> Fold: ...


def message_line(message: MessageRecord, label: Labeler) -> str | None:
    speaker = label(message)
    if message.role == "tool":
        return None
    parts = []
    content = (message.content or "").strip()
    if content:
        first = _SENTENCE.split(content, maxsplit=1)[0]
        words = first.split()
        if len(words) > MAX_LINE_WORDS:
            first = " ".join(words[:MAX_LINE_WORDS]) + "…"
        parts.append(f"{speaker}: {first}")
    for call in message.tool_calls or ():
        fn = call.get("function") or {}
        parts.append(f"{speaker} did {fn.get('name')}({fn.get('arguments') or ''})")
    return " / ".join(parts) or None


class ExtractiveSummarizer:
    async def fold(
        self, previous: str, messages: Sequence[MessageRecord], label: Labeler, budget_tokens: int
    ) -> Fold:
        lines = [line for line in previous.splitlines() if line.strip()]
        lines += [line for m in messages if (line := message_line(m, label))]
        sizes = [tokens.count_text(line) + 1 for line in lines]
        total = sum(sizes)
        if total > budget_tokens:
            n = len(lines)
            # Oldest and least important go first: priority grows with position and importance.
            order = sorted(range(n), key=lambda i: importance(lines[i]) + i / max(n, 1))
            dropped: set[int] = set()
            for i in order:
                if total <= budget_tokens:
                    break
                dropped.add(i)
                total -= sizes[i]
            lines = [line for i, line in enumerate(lines) if i not in dropped]
        # Nothing to archive: these lines are sentences of the exchanges, already in the index.
        return Fold("\n".join(lines))


class ModelSummarizer:
    """Asks the thread's own model for the new summary (live keys)."""

    def __init__(
        self,
        provider: Provider,
        model: ModelInfo,
        npc_name: str,
        meter: SummaryMeter | None = None,
        reserve: SummaryReserve | None = None,
    ) -> None:
        self.provider = provider
        self.model = model
        self.npc_name = npc_name
        self.meter = meter
        self.reserve = reserve
        self.fallback = ExtractiveSummarizer()

    async def fold(
        self, previous: str, messages: Sequence[MessageRecord], label: Labeler, budget_tokens: int
    ) -> Fold:
        transcript = "\n".join(line for m in messages if (line := message_line(m, label)))
        words = max(40, int(budget_tokens * 0.7))
        prompt = (
            f"You keep the memory of {self.npc_name}, a character in a game. Rewrite the summary of "
            f"everything {self.npc_name} knows from the conversation so far, in at most {words} words. "
            "Keep names, places, items, numbers, promises, debts, quests and feelings; drop small talk. "
            "Write plain sentences in the third person, no preamble.\n\n"
            f"Summary so far:\n{previous or '(nothing yet)'}\n\nNew conversation:\n{transcript}"
        )
        request = ChatRequest(
            model=self.model,
            messages=[{"role": "user", "content": prompt}],
            max_tokens=budget_tokens,
            temperature=0.2,
        )
        if self.reserve is not None and not await self.reserve(request):
            # Out of credit or past a cap: the thread still folds, extractively and for free.
            return await self.fallback.fold(previous, messages, label, budget_tokens)
        try:
            result = await self.provider.complete(request)
        except Exception:  # a failed summary must not lose the fold: fall back to extraction
            log.warning("model summary failed; folding extractively", exc_info=True)
            return await self.fallback.fold(previous, messages, label, budget_tokens)
        if self.meter is not None:
            await self.meter(self.model, self.provider.name, result.usage)
        text = (result.content or "").strip()
        if not text:
            return await self.fallback.fold(previous, messages, label, budget_tokens)
        return Fold(text, [previous] if previous else [])


def archive_text(lines: Sequence[str]) -> list[str]:
    """Archived summary lines grouped into memory-sized pieces (about 120 tokens each)."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        current.append(line)
        size += tokens.count_text(line)
        if size >= 120:
            pieces.append("\n".join(current))
            current, size = [], 0
    if current:
        pieces.append("\n".join(current))
    return pieces
