"""Monster-GPT classifier: latency per call and accuracy on every evaluation set, per method.

Usage: ``.venv/bin/python bench/bench_classifier.py [--rounds N] [--method lexical|semantic|all]
[--sets labelled,unseen,...] [--cache-dir DIR]``.
Not part of the test suite: timings depend on the machine. The design budget is p50 <= 1 ms.

``lexical`` switches the semantic layer off (keyword index + naive Bayes only). ``semantic`` uses
the MiniLM layer for close calls (all-MiniLM-L6-v2 on onnxruntime, part of the default install).
Latency is measured on every prompt of every set, one call at a time, with no caching of anything
that depends on the prompt; accuracy uses the same layers as the latency run.

``--sets`` limits the run to some sets (the tuning sets while tuning: the never-tuned ones are
measured once, after every choice is made). The warm-up line times the semantic layer's build:
every discipline text embedded, or, with ``--cache-dir`` and a cache file from an earlier run,
read back from disk (the gateway's ``MG_CACHE_DIR``).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from local_gateway.providers.minilm import MiniLMEmbedder  # noqa: E402
from local_gateway.services.monster_gpt.bayes import train  # noqa: E402
from local_gateway.services.monster_gpt.disciplines import load_disciplines  # noqa: E402
from local_gateway.services.monster_gpt.router import SEMANTIC, classify  # noqa: E402
from local_gateway.services.monster_gpt.semantic import SemanticLayer  # noqa: E402
from local_gateway.services.monster_gpt.term_index import build_index  # noqa: E402

DATA = ROOT / "tests" / "data"
SETS = ("labelled", "unseen", "dev", "dev2", "dev3", "holdout", "fresh", "blind", "blind2")


def _rows(name: str) -> list[dict[str, str]]:
    path = DATA / f"monster_gpt_{name}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def _run(method: str, rounds: int, names: tuple[str, ...], cache_dir: Path | None) -> None:
    disciplines = load_disciplines()
    layer = None
    if method != "lexical":
        embedder = MiniLMEmbedder()
        if not embedder.warm():
            print(f"\n[{method}] skipped: all-MiniLM-L6-v2 did not load ({embedder.failure})")
            return
        layer = SemanticLayer(embedder, disciplines, cache_dir)
    started = time.perf_counter()
    if layer is not None:
        layer.build()
    classify("warm up the cached index and model", layer)
    source = f" (vectors {layer.source})" if layer is not None else ""
    print(f"\n[{method}] warm-up {(time.perf_counter() - started) * 1e3:.0f} ms{source}")

    sets = {name: _rows(name) for name in names}
    texts = [r["text"] for rows in sets.values() for r in rows]
    # The index and models live for the whole process; keep the collector from rescanning them
    # on every generation-2 pass, as a long-running gateway would (gc.freeze after start-up).
    gc.collect()
    gc.freeze()
    timings: list[float] = []
    semantic_calls = 0
    for _ in range(rounds):
        for text in texts:
            t0 = time.perf_counter()
            found = classify(text, layer)
            timings.append(time.perf_counter() - t0)
            semantic_calls += found.method == SEMANTIC
    timings.sort()
    mean_len = statistics.mean(len(t) for t in texts)
    print(
        f"classify over {len(texts)} prompts x {rounds} (mean {mean_len:.0f} chars): "
        f"p50 {_percentile(timings, 0.50) * 1e6:.0f} us, p90 {_percentile(timings, 0.90) * 1e6:.0f} us, "
        f"p99 {_percentile(timings, 0.99) * 1e6:.0f} us; "
        f"semantic layer used on {semantic_calls / len(timings):.1%} of calls"
    )
    for name, rows in sets.items():
        results = [classify(r["text"], layer) for r in rows]
        hits = sum(c.discipline == r["discipline"] for c, r in zip(results, rows, strict=True))
        top3 = sum(r["discipline"] in {d for d, _ in c.scores} for c, r in zip(results, rows, strict=True))
        print(f"{name:>9}: accuracy {hits / len(rows):.3f}  top-3 {top3 / len(rows):.3f}  ({len(rows)} rows)")
    gc.unfreeze()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="passes over all the sets")
    parser.add_argument("--method", choices=("lexical", "semantic", "all"), default="all")
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated sets (default: all)")
    parser.add_argument("--cache-dir", type=Path, help="keep the semantic layer's vectors here")
    args = parser.parse_args()
    names = tuple(args.sets.split(","))
    if unknown := set(names) - set(SETS):
        parser.error(f"unknown set(s): {', '.join(sorted(unknown))}")

    started = time.perf_counter()
    disciplines = load_disciplines()
    build_index(disciplines)
    train(disciplines)
    elapsed_ms = (time.perf_counter() - started) * 1e3
    print(f"load + index build + Bayes training: {elapsed_ms:.1f} ms, {len(disciplines)} disciplines")

    for method in ("lexical", "semantic") if args.method == "all" else (args.method,):
        _run(method, args.rounds, names, args.cache_dir)


if __name__ == "__main__":
    main()
