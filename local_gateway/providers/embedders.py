"""The offline embedder: what test-key embeddings, NPC memory recall and Monster-GPT's semantic
layer embed with.

:class:`Embedder` is the one interface (``embed(texts) -> vectors``, unit length, synchronous and
CPU-bound: async code calls :func:`embed_off_loop`; Monster-GPT's classifier already runs in a
worker thread when it needs an encode). The app builds one instance with :func:`local_embedder`
and hands it to every service that embeds, so the model is loaded once per process. Two
implementations:

- :class:`~local_gateway.providers.minilm.MiniLMEmbedder` — the real sentence-embedding model
  all-MiniLM-L6-v2 (384 dimensions) on onnxruntime, part of the default install; until it has
  loaded, or if it cannot, it answers with hashed n-grams and says so (:func:`embed_named`);
- :class:`HashedNgramEmbedder` — that fallback, and the whole embedder with ``MG_EMBEDDER=hashed``:
  signed feature hashing of words, word pairs and character trigrams, no dependencies. Texts that
  share words and word stems land close; it knows no synonyms, so it says ``semantic = False``
  and Monster-GPT's semantic layer stays off with it.

:func:`project` maps a vector deterministically onto a model's dimensionality (1536 for
text-embedding-3-small, …) so that vectors have the size a client expects.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import zlib
from collections import defaultdict
from collections.abc import Sequence
from functools import cache
from itertools import pairwise
from typing import Protocol, runtime_checkable

log = logging.getLogger("mg.gateway.embeddings")

MINILM = "all-minilm-l6-v2"
HASHED = "hashed-ngrams"
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_STOPWORD_TEXT = """a an and are as at be but by for from has have he her his i in is it its me my of
on or our she so that the their them they this to was we were what when which who will with you your"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


class Embedder(Protocol):
    """Sentences in, unit-length vectors out; deterministic for a given model."""

    @property
    def name(self) -> str: ...

    @property
    def dimensions(self) -> int: ...

    @property
    def semantic(self) -> bool:
        """True when vectors are close by meaning (paraphrase), not only by shared words."""
        ...

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


@runtime_checkable
class NamedEmbedder(Protocol):
    """An embedder that may answer with another model than its own (the MiniLM embedder before
    its model has loaded) and says which one did."""

    def embed_named(self, texts: Sequence[str]) -> tuple[str, list[list[float]]]: ...


def embed_named(embedder: Embedder, texts: Sequence[str]) -> tuple[str, list[list[float]]]:
    """The vectors of ``texts`` and the name of the model that made them."""
    if isinstance(embedder, NamedEmbedder):
        return embedder.embed_named(texts)
    return embedder.name, embedder.embed(texts)


async def embed_off_loop(embedder: Embedder, texts: Sequence[str]) -> list[list[float]]:
    """:meth:`Embedder.embed` in a worker thread: a MiniLM encode would stall the event loop."""
    if not texts:
        return []
    return await asyncio.to_thread(embedder.embed, list(texts))


def normalize(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector] if norm > 0 else vector


_SUFFIXES = ("ings", "ing", "ed", "es", "ly", "s", "y")


def _stem(word: str) -> str:
    """A crude stem (forged, forges → forg) so that word forms meet; trigrams do the rest."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _hash(feature: str) -> int:
    return zlib.crc32(feature.encode("utf-8"))


class HashedNgramEmbedder:
    """Deterministic lexical vectors with no model at all (the fallback when MiniLM is absent)."""

    name = HASHED
    semantic = False

    def __init__(self, dimensions: int = 512) -> None:
        self.dimensions = dimensions

    def _features(self, text: str) -> dict[str, float]:
        words = [w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS] or _WORD.findall(text.lower())
        features: dict[str, float] = defaultdict(float)
        for word in words:
            features["w:" + _stem(word)] += 1.0
            padded = f"#{word}#"
            grams = [padded[i : i + 3] for i in range(len(padded) - 2)] or [padded]
            for gram in grams:
                # Spread a word's weight over its trigrams, so long words do not dominate.
                features["c:" + gram] += 1.0 / len(grams)
        for left, right in pairwise(words):
            features[f"b:{_stem(left)} {_stem(right)}"] += 0.5
        return features

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        out = []
        for text in texts:
            vector = [0.0] * self.dimensions
            for feature, count in self._features(text).items():
                h = _hash(feature)
                sign = 1.0 if h & 0x80000000 else -1.0
                weight = 1.0 + math.log(count) if count >= 1 else count  # sublinear in repeats
                vector[h % self.dimensions] += sign * weight
            out.append(normalize(vector))
        return out


@cache
def _plan(source: int, target: int) -> tuple[list[tuple[int, float]], list[tuple[tuple[int, float], ...]]]:
    """A fixed projection from ``source`` to ``target`` dimensions.

    The first ``min(source, target)`` outputs are a signed permutation of the inputs (lossless,
    distances unchanged); each further output is a signed sum of three inputs (a sparse random
    projection, which keeps distances in expectation). Seeded by the two sizes only.
    """
    import random

    rng = random.Random(f"mg-projection-{source}-{target}")
    order = list(range(source))
    rng.shuffle(order)
    head = [(order[i], rng.choice((-1.0, 1.0))) for i in range(min(source, target))]
    scale = 1 / math.sqrt(3)
    tail = [
        tuple((rng.randrange(source), rng.choice((-scale, scale))) for _ in range(3))
        for _ in range(max(0, target - source))
    ]
    return head, tail


def project(vector: list[float], target: int) -> list[float]:
    """``vector`` mapped deterministically onto ``target`` dimensions, unit length."""
    if len(vector) == target:
        return vector
    head, tail = _plan(len(vector), target)
    out = [vector[i] * sign for i, sign in head]
    out += [sum(vector[i] * w for i, w in mix) for mix in tail]
    return normalize(out)


def truncate(vector: list[float], dimensions: int) -> list[float]:
    """OpenAI's ``dimensions``: the first ``dimensions`` values, renormalised to unit length."""
    return normalize(vector[:dimensions])


def local_embedder(choice: str = "auto") -> Embedder:
    """The process's embedder from ``MG_EMBEDDER``: ``auto`` and ``minilm`` take all-MiniLM-L6-v2
    on onnxruntime (a core dependency; hashed n-grams stand in until it has loaded or if it cannot
    load), ``hashed`` the hashed n-grams alone. Cheap: the model loads at warm-up or first use."""
    choice = (choice or "auto").lower()
    if choice in ("hashed", HASHED):
        return HashedNgramEmbedder()
    if choice not in ("auto", "minilm", MINILM):
        raise ValueError(f"MG_EMBEDDER must be auto, minilm or hashed, not {choice!r}")
    from local_gateway.providers.minilm import MiniLMEmbedder

    return MiniLMEmbedder()
