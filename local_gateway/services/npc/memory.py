"""Long-term recall: the memory stream of a thread and how the few that matter are chosen.

Every exchange becomes a memory (its text, an importance and an embedding); so does summary
text that no longer fits the running summary. When the player speaks, memories that are older
than the turns already in the prompt are scored as in the generative-agents memory stream
(Park et al., 2023) — relevance, recency and importance — and the best few go back into the
prompt. Relevance gates: a memory the player's words do not call for is never recalled, however
recent or important. The scores combine as a product so that each factor modulates the others:

    score = relevance × (0.5 + 0.5 · recency) × (0.5 + 0.5 · importance)
    recency = 0.995 ^ (messages since the memory)

The vectors of a thread are cached in-process as one float32 matrix; a request reads only the
memories added since (by id), so recall over a 10,000-message thread costs one small query and
one matrix-vector product.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from local_gateway.lazy import LazyModule
from local_gateway.store.thread_records import MemoryRow

if TYPE_CHECKING:
    import numpy as np
else:  # imported at first use: only NPC memory recall needs it (see local_gateway.lazy)
    np = LazyModule("numpy")

RECENCY_DECAY = 0.995
RELEVANCE_THRESHOLD = 0.22
NEAR_DUPLICATE = 0.8
_IMPORTANT = re.compile(
    r"\b(quest|promise|promised|swear|secret|gold|silver|coins?|reward|debt|owe|kill|killed|dead|died|"
    r"love|hate|betray\w*|name|named|king|queen|war|sword|amulet|ring|key|map|treasure|family|"
    r"father|mother|brother|sister|daughter|son|remember|never|always|stole|stolen|dragon)\b",
    re.IGNORECASE,
)


def importance(text: str, has_action: bool = False) -> float:
    """A cheap 0..1 importance: facts, names, numbers, promises and actions weigh more."""
    score = 0.25
    score += min(0.25, 0.05 * len(_IMPORTANT.findall(text)))
    if re.search(r"\d", text):
        score += 0.1
    if re.search(r"(?<=[a-z,;] )[A-Z][a-z]{2,}", text):
        score += 0.1
    score += min(0.1, len(text) / 4000)
    if has_action:
        score += 0.2
    return round(min(1.0, score), 3)


@dataclass(frozen=True)
class Recalled:
    id: int
    score: float
    seq_to: int


class RecallIndex:
    """The vectors of one thread's memories, in a growable float32 matrix."""

    def __init__(self, dimensions: int) -> None:
        self.dimensions = dimensions
        self.size = 0
        self.last_id = 0
        self._ids = np.zeros(16, np.int64)
        self._seq_from = np.zeros(16, np.int64)
        self._seq_to = np.zeros(16, np.int64)
        self._importance = np.zeros(16, np.float32)
        self._vectors = np.zeros((16, dimensions), np.float32)

    def _grow(self, need: int) -> None:
        capacity = len(self._ids)
        if need <= capacity:
            return
        while capacity < need:
            capacity *= 2
        for name in ("_ids", "_seq_from", "_seq_to", "_importance", "_vectors"):
            old = getattr(self, name)
            new = np.zeros((capacity, *old.shape[1:]), old.dtype)
            new[: self.size] = old[: self.size]
            setattr(self, name, new)

    def extend(self, rows: Sequence[MemoryRow]) -> None:
        usable = [r for r in rows if len(r.vector) == 4 * self.dimensions]
        if rows:
            self.last_id = max(self.last_id, max(r.id for r in rows))
        if not usable:
            return
        self._grow(self.size + len(usable))
        end = self.size + len(usable)
        self._ids[self.size : end] = [r.id for r in usable]
        self._seq_from[self.size : end] = [r.seq_from for r in usable]
        self._seq_to[self.size : end] = [r.seq_to for r in usable]
        self._importance[self.size : end] = [r.importance for r in usable]
        blob = b"".join(r.vector for r in usable)
        self._vectors[self.size : end] = np.frombuffer(blob, dtype="<f4").reshape(len(usable), -1)
        self.size = end

    def search(
        self,
        query: np.ndarray,
        *,
        before_seq: int,
        current_seq: int,
        ranges: Sequence[tuple[int, int | None]] | None,
        k: int = 3,
        threshold: float = RELEVANCE_THRESHOLD,
    ) -> list[Recalled]:
        """The best ``k`` memories that end before ``before_seq`` and that the viewer saw."""
        if self.size == 0 or k <= 0:
            return []
        seq_from, seq_to = self._seq_from[: self.size], self._seq_to[: self.size]
        mask = seq_to < before_seq
        if ranges is not None:
            # A viewer recalls only what it was present for, from the first word to the last.
            seen = np.zeros(self.size, bool)
            for lo, hi in ranges:
                top = hi if hi is not None else np.iinfo(np.int64).max
                seen |= (seq_from >= lo) & (seq_to <= top)
            mask &= seen
        # One product over the contiguous rows is cheaper than gathering the candidates first
        # (a copy of every eligible vector). einsum, not BLAS: a BLAS thread pool woken on
        # every request fights the event loop and the database threads for the cores.
        relevance = np.einsum("ij,j->i", self._vectors[: self.size], query)
        candidates = np.flatnonzero(mask & (relevance >= threshold))
        if candidates.size == 0:
            return []
        relevance = relevance[candidates]
        age = np.maximum(current_seq - seq_to[candidates], 0)
        recency = np.power(RECENCY_DECAY, age.astype(np.float32))
        score = relevance * (0.5 + 0.5 * recency) * (0.5 + 0.5 * self._importance[candidates])
        chosen: list[int] = []
        for i in np.argsort(-score, kind="stable")[: 8 * k]:
            row = self._vectors[candidates[i]]
            # A summary line archived from an exchange says what the exchange said: one is enough.
            if any(float(self._vectors[candidates[j]] @ row) > NEAR_DUPLICATE for j in chosen):
                continue
            chosen.append(int(i))
            if len(chosen) == k:
                break
        return [
            Recalled(int(self._ids[candidates[i]]), float(score[i]), int(seq_to[candidates[i]]))
            for i in chosen
        ]


class RecallCache:
    """In-process LRU of thread indexes, bounded by the total number of vectors held."""

    def __init__(self, dimensions: int, max_vectors: int = 200_000) -> None:
        self.dimensions = dimensions
        self.max_vectors = max_vectors
        self._indexes: OrderedDict[str, RecallIndex] = OrderedDict()

    def get(self, thread_id: str) -> RecallIndex:
        index = self._indexes.get(thread_id)
        if index is None:
            index = self._indexes[thread_id] = RecallIndex(self.dimensions)
        self._indexes.move_to_end(thread_id)
        return index

    def trim(self) -> None:
        total = sum(i.size for i in self._indexes.values())
        while total > self.max_vectors and len(self._indexes) > 1:
            _, evicted = self._indexes.popitem(last=False)
            total -= evicted.size

    def drop(self, thread_id: str) -> None:
        self._indexes.pop(thread_id, None)
