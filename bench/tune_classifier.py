"""Sweep Monster-GPT's semantic-layer settings on the tuning sets only (labelled, unseen, dev, dev2, dev3).

Usage: ``.venv/bin/python bench/tune_classifier.py [--sets labelled,unseen,dev,dev2,dev3]``.

The holdout, fresh, blind and blind2 sets are never read here: they measure the chosen settings once,
through ``bench/bench_classifier.py``. For each prompt of the tuning sets the lexical scores
(keyword index + naive Bayes) and the MiniLM similarities are computed once; each combination of
strategy (discipline centroid, or the mean of the best k texts of a discipline), margin, weight
and temperature is then scored by accuracy, and by the share of prompts that would need an
encode (which sets the latency: p50 stays in microseconds only while that share is under half).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from local_gateway.providers.minilm import MiniLMEmbedder  # noqa: E402
from local_gateway.services.monster_gpt import router  # noqa: E402
from local_gateway.services.monster_gpt.disciplines import GENERAL, load_disciplines  # noqa: E402
from local_gateway.services.monster_gpt.semantic import discipline_texts  # noqa: E402

TUNING = ("labelled", "unseen", "dev", "dev2", "dev3")
NEVER = ("holdout", "fresh", "blind", "blind2")  # measured by bench_classifier.py, never tuned on


def _rows(name: str) -> list[dict[str, str]]:
    path = ROOT / "tests" / "data" / f"monster_gpt_{name}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _lexical(text: str) -> dict[str, float]:
    body = router._HINTS.sub(" ", text)
    matched = router._index().match(body)
    model = router._bayes()
    posterior, known = model.posterior(body, router.BAYES_TEMPERATURE)
    if not matched and not known:
        return {}
    totals = {disc: sum(found.values()) for disc, found in matched.items()}
    if known:
        for disc, p in zip(model.ids, posterior, strict=True):
            totals[disc] = totals.get(disc, 0.0) + router.BAYES_WEIGHT * p
    return totals


def _decide(totals: dict[str, float]) -> str:
    if not totals:
        return GENERAL
    best = max(totals, key=lambda d: (totals[d], d != GENERAL, d))
    return best if totals[best] >= router.THRESHOLD else GENERAL


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default=",".join(TUNING), help="comma-separated tuning sets")
    names = tuple(parser.parse_args().sets.split(","))
    if set(names) & set(NEVER):
        raise SystemExit(f"{', '.join(NEVER)} measure the result; they are never tuned on")
    disciplines = load_disciplines()
    ids = tuple(sorted(disciplines))
    embedder = MiniLMEmbedder()
    assert embedder.warm(), embedder.failure
    text_vectors = {d: np.asarray(embedder.embed(discipline_texts(disciplines[d]))) for d in ids}
    rows = [r for name in names for r in _rows(name)]
    queries = np.asarray(embedder.embed([router._HINTS.sub(" ", r["text"]) for r in rows]))
    lexical = [_lexical(r["text"]) for r in rows]

    def similarities(strategy: str) -> np.ndarray:
        out = np.zeros((len(rows), len(ids)))
        for j, d in enumerate(ids):
            vectors = text_vectors[d]
            if strategy == "centroid":
                centroid = vectors.mean(axis=0)
                out[:, j] = queries @ (centroid / np.linalg.norm(centroid))
            else:
                k = int(strategy.split("-")[1])
                sims = np.sort(queries @ vectors.T, axis=1)[:, ::-1]
                out[:, j] = sims[:, :k].mean(axis=1)
        return np.round(out, 4)

    results = []
    for strategy in ("centroid", "top-1", "top-3", "top-5"):
        sims = similarities(strategy)
        grid = itertools.product(
            (3.0, 6.0, 10.0, 16.0, math.inf), (8.0, 16.0, 24.0, 32.0, 48.0), (0.02, 0.05, 0.1)
        )
        for margin, weight, temperature in grid:
            hits = consulted = 0
            for i, r in enumerate(rows):
                totals = dict(lexical[i])
                first, second = [*sorted(totals.values(), reverse=True), 0.0, 0.0][:2]
                if totals and first - second < margin and sims[i].max() >= router.SEMANTIC_FLOOR:
                    consulted += 1
                    exps = np.exp((sims[i] - sims[i].max()) / temperature)
                    for d, e in zip(ids, exps / exps.sum(), strict=True):
                        totals[d] = totals.get(d, 0.0) + weight * float(e)
                hits += _decide(totals) == r["discipline"]
            results.append((hits / len(rows), consulted / len(rows), strategy, margin, weight, temperature))
    results.sort(key=lambda x: (-x[0], x[1]))
    print(f"{len(rows)} tuning prompts ({' + '.join(names)}); best 25 settings:")
    print("accuracy  encodes  strategy  margin  weight  temperature")
    for acc, share, strategy, margin, weight, temperature in results[:25]:
        print(f"{acc:8.3f}  {share:7.1%}  {strategy:8}  {margin:6}  {weight:6}  {temperature}")
    settings = (
        ("before #16", ("centroid", 3.0, 16.0, 0.05)),
        ("margin 16", ("top-3", 16.0, 24.0, 0.05)),
        ("now", ("top-3", router.SEMANTIC_MARGIN, router.SEMANTIC_WEIGHT, router.SEMANTIC_TEMPERATURE)),
    )
    for label, key in settings:
        acc, share = next(x for x in results if x[2:] == key)[:2]
        print(f"{label} {key}: accuracy {acc:.3f}, encodes on {share:.1%} of prompts")


if __name__ == "__main__":
    main()
