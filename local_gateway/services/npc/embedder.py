"""Text embeddings for the recall index, behind a small interface.

The default :class:`HashingEmbedder` needs no model and no network: it hashes word unigrams,
word bigrams and character trigrams into a fixed number of dimensions (the "hashing trick",
with a sign bit against collision bias) and L2-normalises. Texts that share words and word
pieces land close together, which is what recall of game dialogue mostly needs (names, items,
places); a neural model can replace it by implementing :class:`Embedder`.
"""

from __future__ import annotations

import itertools
import re
import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from local_gateway.lazy import LazyModule

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


class Embedder(Protocol):
    dimensions: int

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


class HashingEmbedder:
    """Deterministic, offline feature-hashing embedder (~256 dimensions)."""

    def __init__(self, dimensions: int = 256) -> None:
        self.dimensions = dimensions

    def _features(self, text: str) -> dict[int, float]:
        words = [w for w in _WORD.findall(text.lower()) if w not in _STOP]
        weights: dict[int, float] = {}

        def add(feature: str, weight: float) -> None:
            h = zlib.crc32(feature.encode("utf-8"))
            index = h % self.dimensions
            sign = 1.0 if (h >> 31) & 1 else -1.0
            weights[index] = weights.get(index, 0.0) + sign * weight

        for word in words:
            add("w:" + word, 1.0)
            padded = f"<{word}>"
            for i in range(len(padded) - 2):
                add("c:" + padded[i : i + 3], 0.35)
        for first, second in itertools.pairwise(words):
            add(f"b:{first} {second}", 0.5)
        return weights

    def vector(self, text: str) -> np.ndarray:
        out = np.zeros(self.dimensions, dtype=np.float32)
        for index, weight in self._features(text).items():
            out[index] = weight
        norm = float(np.linalg.norm(out))
        if norm > 0:
            out /= norm
        return out

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [self.vector(t).tolist() for t in texts]


def embed_matrix(embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    """Vectors as a float32 matrix, unit length (whatever the embedder returns)."""
    if isinstance(embedder, HashingEmbedder):
        rows = [embedder.vector(t) for t in texts]
        return np.vstack(rows) if rows else np.zeros((0, embedder.dimensions), np.float32)
    matrix = np.asarray(embedder.embed(list(texts)), dtype=np.float32).reshape(len(texts), -1)
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
