"""Vectors of the recall index: embedded by the app's one embedder, stored compactly.

The embedder itself is :mod:`local_gateway.providers.embedders` (all-MiniLM-L6-v2, hashed
n-grams while it loads or if it cannot), the same instance test-key embeddings and
Monster-GPT use. :func:`content_words` is the lexical gate recall applies on top of the vectors.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from local_gateway.lazy import LazyModule
from local_gateway.providers.embedders import Embedder, embed_off_loop

if TYPE_CHECKING:
    import numpy as np
else:  # imported at first use: only NPC memory recall needs it (see local_gateway.lazy)
    np = LazyModule("numpy")

_WORD = re.compile(r"[a-z0-9']+")
# Words that carry no topic: matching on them would make everything look related.
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "him",
        "his",
        "how",
        "i",
        "i'm",
        "if",
        "in",
        "into",
        "is",
        "it",
        "it's",
        "its",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "she",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "they",
        "this",
        "to",
        "too",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yes",
        "ok",
        "oh",
        "well",
        "just",
        "like",
        "about",
        "up",
        "out",
        "all",
        "any",
        "some",
    ]
)


def content_words(text: str) -> set[str]:
    """The words that carry a topic, crudely stemmed ("hid", "hide" and "hiding" share "hid")."""
    out = set()
    for word in _WORD.findall(text.lower()):
        if word in _STOP or len(word) < 3:
            continue
        for suffix in ("ing", "ed", "es", "s", "e"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: -len(suffix)]
                break
        out.add(word)
    return out


async def embed_matrix(embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    """Vectors as a float32 matrix, unit length, computed off the event loop."""
    rows = await embed_off_loop(embedder, texts)
    if not rows:
        return np.zeros((0, embedder.dimensions), np.float32)
    matrix = np.asarray(rows, dtype=np.float32).reshape(len(rows), -1)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)


def pack(vector: np.ndarray) -> bytes:
    """Store a vector compactly: little-endian float32, 4 bytes a dimension."""
    return np.asarray(vector, dtype="<f4").tobytes()


def unpack(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f4")


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    denominator = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b) / denominator if denominator else 0.0
