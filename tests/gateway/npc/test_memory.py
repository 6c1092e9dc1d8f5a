"""Embeddings and recall: deterministic vectors, relevance gate, scopes of presence."""

from __future__ import annotations

import numpy as np

from local_gateway.providers.embedders import HashedNgramEmbedder
from local_gateway.services.npc.memory import RecallIndex, importance
from local_gateway.services.npc.vectors import pack, unpack
from local_gateway.store.thread_records import MemoryRow


class _Embedder(HashedNgramEmbedder):
    """The gateway's hashed fallback embedder (every install has it), one vector at a time."""

    def vector(self, text: str) -> np.ndarray:
        return np.asarray(self.embed([text])[0], dtype=np.float32)


EMB = _Embedder()
TEXTS = [
    "Player: My sister Elowen hid the silver key under the old mill.",
    "Player: The weather is grim today. Smith: Aye, rain all week.",
    "Player: I killed the wolf that took your sheep. Smith: You have my thanks.",
    "Player: Do you sell bread? Smith: No, try the baker.",
]


def index(seqs: list[tuple[int, int]] | None = None) -> RecallIndex:
    idx = RecallIndex(EMB.dimensions)
    seqs = seqs or [(i * 2 + 1, i * 2 + 2) for i in range(len(TEXTS))]
    rows = [
        MemoryRow(i + 1, "turn", lo, hi, importance(t), pack(EMB.vector(t)))
        for i, (t, (lo, hi)) in enumerate(zip(TEXTS, seqs, strict=True))
    ]
    idx.extend(rows)
    return idx


def test_vectors_are_deterministic_unit_length_and_compact() -> None:
    a, b = EMB.vector(TEXTS[0]), EMB.vector(TEXTS[0])
    assert np.array_equal(a, b) and abs(float(np.linalg.norm(a)) - 1) < 1e-5
    blob = pack(a)
    assert len(blob) == 4 * EMB.dimensions and np.array_equal(unpack(blob), a)


def test_words_that_call_for_a_memory_recall_it() -> None:
    found = index().search(
        EMB.vector("Where did Elowen hide the key?"), before_seq=100, current_seq=100, ranges=None
    )
    assert found and found[0].id == 1


def test_unrelated_words_recall_nothing() -> None:
    found = index().search(EMB.vector("Nice hat."), before_seq=100, current_seq=100, ranges=None)
    assert found == []


def test_memories_in_the_prompt_window_are_not_recalled_twice() -> None:
    found = index().search(EMB.vector("the silver key of Elowen"), before_seq=1, current_seq=100, ranges=None)
    assert found == []


def test_a_viewer_recalls_only_what_it_was_present_for() -> None:
    q = EMB.vector("Where did Elowen hide the key?")
    assert index().search(q, before_seq=100, current_seq=100, ranges=[(3, None)]) == []
    assert index().search(q, before_seq=100, current_seq=100, ranges=[(1, 2)])[0].id == 1


def test_index_grows_past_its_first_capacity() -> None:
    idx = RecallIndex(EMB.dimensions)
    rows = [
        MemoryRow(i, "turn", i, i, 0.5, pack(EMB.vector(f"note {i} about apples"))) for i in range(1, 100)
    ]
    idx.extend(rows[:10])
    idx.extend(rows[10:])
    assert idx.size == 99 and idx.last_id == 99


def test_importance_weighs_facts_and_actions() -> None:
    assert importance(TEXTS[0]) > importance("Player: hello. Smith: hello.")
    assert importance("ok", has_action=True) > importance("ok")
