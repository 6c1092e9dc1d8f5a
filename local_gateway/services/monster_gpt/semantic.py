"""The optional semantic layer of Monster-GPT's classifier: sentence embeddings of the disciplines.

When the app's embedder understands meaning (all-MiniLM-L6-v2, part of the default install),
each discipline's own texts (description, name and specialist, examples and prototypes) are
embedded once, and a prompt's similarity to the discipline is the mean cosine of the closest
:data:`TOP_K` of them. It understands paraphrase the lexical layers cannot ("the screen is just
white for a long time" is about exposure), but an encode costs milliseconds, so the classifier
only asks for it when the lexical layers are unsure (see ``router.py``).

With the hashed embedder (``MG_EMBEDDER=hashed``), or with ``MG_CLASSIFIER_SEMANTIC=off``,
:func:`semantic_layer` is ``None`` and classification is purely lexical. The layer is only
consulted once it is *ready* (its texts embedded by ``router.warm()`` after the model has
loaded, about a second of work): a request never pays for building it, and if the model cannot
load the layer never becomes ready. The app owns the layer and passes it to the chat service;
nothing here is process state.

Embedding the ~1,400 texts one by one takes seconds, so with a cache directory the vectors are
kept on disk (:data:`CACHE_FILE`), keyed by the embedder's ``identity`` (model and tokenizer
digests, runtime version) and a digest of every text. A file whose key does not match, or that
cannot be read whole, is ignored and rebuilt, and a new one replaces the old atomically (written
to a temporary file, then renamed), so a crash mid-write never leaves a half file to be trusted.
The vectors are stored as built (float64, unrounded), so a cache hit gives exactly the
similarities a fresh build gives.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import logging
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from local_gateway.lazy import LazyModule
from local_gateway.providers.embedders import Embedder
from local_gateway.services.monster_gpt.cache_files import write_atomically
from local_gateway.services.monster_gpt.disciplines import Discipline

if TYPE_CHECKING:
    import numpy as np
else:  # imported at first use, like NPC memory's vectors (see local_gateway.lazy)
    np = LazyModule("numpy")

log = logging.getLogger("mg.gateway.monster_gpt")

ENV_SWITCH = "MG_CLASSIFIER_SEMANTIC"
SWITCHES = ("auto", "off")
# Cosine similarities are rounded so that float noise between runs or BLAS builds cannot flip a
# ranking: the classifier stays deterministic for a given model.
DIGITS = 4
# A discipline's similarity is the mean of its best TOP_K texts: closer to how a prompt resembles
# one or two of the craft's typical problems than a single centroid of all of them is. Chosen with
# bench/tune_classifier.py on the labelled and unseen sets only (top-3 93.2% -> 94.9% there).
TOP_K = 3
CACHE_FILE = "monster_gpt_vectors.npz"
# Bumped whenever what the file holds, or how the key is made, changes.
CACHE_FORMAT = 1


def discipline_texts(d: Discipline) -> list[str]:
    """What a discipline's centroid is made of: its own files, never an evaluation question."""
    return [d.description, f"{d.name}: {d.specialist}", *d.examples, *d.prototypes]


class SemanticLayer:
    """Similarity of a prompt to every discipline: the mean cosine of its :data:`TOP_K` closest
    texts among the discipline's own (description, name, examples, prototypes)."""

    def __init__(
        self, embedder: Embedder, disciplines: Mapping[str, Discipline], cache_dir: Path | None = None
    ) -> None:
        self.embedder = embedder
        self.ids = tuple(sorted(disciplines))
        self._disciplines = disciplines
        self._cache_dir = cache_dir
        self._vectors: list[np.ndarray] | None = None
        self._lock = threading.Lock()
        # Where the last build()'s vectors came from: "cache", "built", or None before one.
        self.source: str | None = None

    @property
    def ready(self) -> bool:
        """True once the disciplines' texts are embedded; until then the classifier does not ask."""
        return self._vectors is not None

    def build(self) -> list[np.ndarray]:
        """Embed every discipline's texts on first use (about 1,400 short texts), or read them
        from the cache file when its key matches, then keep them."""
        with self._lock:
            if self._vectors is None:
                texts = [discipline_texts(self._disciplines[disc]) for disc in self.ids]
                path, key = self._cache(texts)
                vectors = _read_cache(path, key, [len(t) for t in texts]) if path and key else None
                self.source = "cache"
                if vectors is None:
                    vectors = [self._embed(t) for t in texts]
                    self.source = "built"
                    if path and key:
                        _write_cache(path, key, vectors)
                self._vectors = vectors
            return self._vectors

    def _embed(self, texts: list[str]) -> np.ndarray:
        rows = np.asarray(self.embedder.embed(texts), np.float64)
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        return rows / np.where(norms > 0, norms, 1.0)

    def _cache(self, texts: list[list[str]]) -> tuple[Path | None, str | None]:
        # Only an embedder that names exactly which model it runs can be cached: vectors of
        # another model (or a stand-in) under the same key would be silently wrong.
        identity = getattr(self.embedder, "identity", None)
        if self._cache_dir is None or not isinstance(identity, str):
            return None, None
        digest = hashlib.sha256(f"{CACHE_FORMAT}\0{identity}\0".encode())
        for disc, own in zip(self.ids, texts, strict=True):
            digest.update(f"\1{disc}\1{len(own)}".encode())
            for text in own:
                digest.update(f"\0{text}".encode())
        return self._cache_dir / CACHE_FILE, digest.hexdigest()

    def similarities(self, text: str) -> list[float]:
        """Each discipline's similarity to ``text``, in :attr:`ids` order."""
        vectors = self.build()
        (query,) = self.embedder.embed([text])
        q = np.asarray(query, np.float64)
        q = q / (np.linalg.norm(q) or 1.0)
        out = []
        for rows in vectors:
            # einsum, not BLAS: a BLAS thread pool woken per call fights the event loop for cores.
            cosines = np.sort(np.einsum("ij,j->i", rows, q))[::-1][:TOP_K]
            out.append(round(float(cosines.mean()), DIGITS))
        return out


def _read_cache(path: Path, key: str, counts: list[int]) -> list[np.ndarray] | None:
    """The cached vectors when ``path`` holds them for ``key``, whole and of the right shape."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["key"]) != key:
                return None
            stored = np.asarray(data["counts"])
            vectors = np.asarray(data["vectors"], np.float64)
    except Exception as exc:  # truncated, corrupt or foreign: a cache is only ever a shortcut
        log.warning("ignoring Monster-GPT's vector cache %s: %s", path, exc)
        return None
    if stored.tolist() != counts or vectors.ndim != 2 or len(vectors) != sum(counts):
        return None
    if not np.isfinite(vectors).all():
        return None
    bounds = np.cumsum([0, *counts])
    return [vectors[a:b] for a, b in itertools.pairwise(bounds)]


def _write_cache(path: Path, key: str, vectors: list[np.ndarray]) -> None:
    out = io.BytesIO()
    np.savez(
        out,
        key=np.asarray(key),
        counts=np.asarray([len(v) for v in vectors], np.int64),
        vectors=np.concatenate(vectors),
    )
    write_atomically(path, out.getvalue(), "vector cache")


def semantic_layer(
    switch: str, embedder: Embedder, disciplines: Mapping[str, Discipline], cache_dir: Path | None = None
) -> SemanticLayer | None:
    """The layer for the ``MG_CLASSIFIER_SEMANTIC`` setting (``auto`` or ``off``), or ``None``
    when it is switched off or ``embedder`` only matches words (the hashed fallback). With
    ``cache_dir`` the disciplines' vectors are kept on disk between runs."""
    switch = (switch or "auto").strip().lower()
    if switch not in SWITCHES:
        raise ValueError(f"{ENV_SWITCH} must be one of {', '.join(SWITCHES)}, not {switch!r}")
    if switch == "off" or not embedder.semantic:
        return None
    return SemanticLayer(embedder, disciplines, cache_dir)
