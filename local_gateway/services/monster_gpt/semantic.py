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
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

from local_gateway.lazy import LazyModule
from local_gateway.providers.embedders import Embedder
from local_gateway.services.monster_gpt.disciplines import Discipline

if TYPE_CHECKING:
    import numpy as np
else:  # imported at first use, like NPC memory's vectors (see local_gateway.lazy)
    np = LazyModule("numpy")

ENV_SWITCH = "MG_CLASSIFIER_SEMANTIC"
SWITCHES = ("auto", "off")
# Cosine similarities are rounded so that float noise between runs or BLAS builds cannot flip a
# ranking: the classifier stays deterministic for a given model.
DIGITS = 4
# A discipline's similarity is the mean of its best TOP_K texts: closer to how a prompt resembles
# one or two of the craft's typical problems than a single centroid of all of them is. Chosen with
# bench/tune_classifier.py on the labelled and unseen sets only (top-3 93.2% -> 94.9% there).
TOP_K = 3


def discipline_texts(d: Discipline) -> list[str]:
    """What a discipline's centroid is made of: its own files, never an evaluation question."""
    return [d.description, f"{d.name}: {d.specialist}", *d.examples, *d.prototypes]


class SemanticLayer:
    """Similarity of a prompt to every discipline: the mean cosine of its :data:`TOP_K` closest
    texts among the discipline's own (description, name, examples, prototypes)."""

    def __init__(self, embedder: Embedder, disciplines: Mapping[str, Discipline]) -> None:
        self.embedder = embedder
        self.ids = tuple(sorted(disciplines))
        self._disciplines = disciplines
        self._vectors: list[np.ndarray] | None = None
        self._lock = threading.Lock()

    @property
    def ready(self) -> bool:
        """True once the disciplines' texts are embedded; until then the classifier does not ask."""
        return self._vectors is not None

    def build(self) -> list[np.ndarray]:
        """Embed every discipline's texts on first use (about 800 short texts), then keep them."""
        with self._lock:
            if self._vectors is None:
                built = []
                for disc in self.ids:
                    texts = discipline_texts(self._disciplines[disc])
                    rows = np.asarray(self.embedder.embed(texts), np.float64)
                    norms = np.linalg.norm(rows, axis=1, keepdims=True)
                    built.append(rows / np.where(norms > 0, norms, 1.0))
                self._vectors = built
            return self._vectors

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


def semantic_layer(
    switch: str, embedder: Embedder, disciplines: Mapping[str, Discipline]
) -> SemanticLayer | None:
    """The layer for the ``MG_CLASSIFIER_SEMANTIC`` setting (``auto`` or ``off``), or ``None``
    when it is switched off or ``embedder`` only matches words (the hashed fallback)."""
    switch = (switch or "auto").strip().lower()
    if switch not in SWITCHES:
        raise ValueError(f"{ENV_SWITCH} must be one of {', '.join(SWITCHES)}, not {switch!r}")
    if switch == "off" or not embedder.semantic:
        return None
    return SemanticLayer(embedder, disciplines)
