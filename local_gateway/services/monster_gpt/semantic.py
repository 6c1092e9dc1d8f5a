"""The optional semantic layer of Monster-GPT's classifier: sentence embeddings of the disciplines.

When the app's embedder understands meaning (all-MiniLM-L6-v2, part of the default install),
each discipline becomes one unit vector: the normalised mean of the embeddings of its
description, name and specialist, examples and prototypes. A prompt's cosine similarity to those
centroids understands paraphrase the lexical layers cannot ("the screen is just white for a long
time" is about exposure), but an encode costs milliseconds, so the classifier only asks for it
when the lexical layers are unsure (see ``router.py``).

With the hashed embedder (``MG_EMBEDDER=hashed``), or with ``MG_CLASSIFIER_SEMANTIC=off``,
:func:`semantic_layer` is ``None`` and classification is purely lexical. The layer is only
consulted once it is *ready* (its centroids built by ``router.warm()`` after the model has
loaded, about a second of work): a request never pays for building it, and if the model cannot
load the layer never becomes ready. The app owns the layer and passes it to the chat service;
nothing here is process state.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence

from local_gateway.providers.embedders import Embedder
from local_gateway.services.monster_gpt.disciplines import Discipline

ENV_SWITCH = "MG_CLASSIFIER_SEMANTIC"
SWITCHES = ("auto", "off")
# Cosine similarities are rounded so that float noise between runs or BLAS builds cannot flip a
# ranking: the classifier stays deterministic for a given model.
DIGITS = 4


def discipline_texts(d: Discipline) -> list[str]:
    """What a discipline's centroid is made of: its own files, never an evaluation question."""
    return [d.description, f"{d.name}: {d.specialist}", *d.examples, *d.prototypes]


def _unit(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector] if norm else list(vector)


class SemanticLayer:
    """Cosine similarity of a prompt to every discipline's centroid."""

    def __init__(self, embedder: Embedder, disciplines: Mapping[str, Discipline]) -> None:
        self.embedder = embedder
        self.ids = tuple(sorted(disciplines))
        self._disciplines = disciplines
        self._centroids: list[list[float]] | None = None
        self._lock = threading.Lock()

    @property
    def ready(self) -> bool:
        """True once the centroids are built; until then the classifier does not ask."""
        return self._centroids is not None

    def centroids(self) -> list[list[float]]:
        """Built on first use (one batch encode of every discipline's texts), then kept."""
        with self._lock:
            if self._centroids is None:
                built = []
                for disc in self.ids:
                    vectors = self.embedder.embed(discipline_texts(self._disciplines[disc]))
                    built.append(_unit([sum(col) / len(vectors) for col in zip(*vectors, strict=True)]))
                self._centroids = built
            return self._centroids

    def similarities(self, text: str) -> list[float]:
        """Cosine similarity of ``text`` to each discipline, in :attr:`ids` order."""
        centroids = self.centroids()
        (query,) = self.embedder.embed([text])
        return [round(sum(q * c for q, c in zip(query, cen, strict=True)), DIGITS) for cen in centroids]


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
