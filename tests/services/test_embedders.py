"""Offline embedders: unit vectors, deterministic, related sentences closer than unrelated ones."""

from __future__ import annotations

import math

import pytest

from local_gateway.providers.embedders import HashedNgramEmbedder, MiniLMEmbedder, project, truncate

FORGE = "The blacksmith forged a legendary sword of fire."
FORGE_TOO = "A blacksmith forges swords and fiery blades at the forge."
TAXES = "Quarterly tax filing deadlines for small accountancy firms."


def cos(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_hashed_vectors_are_unit_deterministic_and_lexically_meaningful() -> None:
    embedder = HashedNgramEmbedder()
    a, b, c = embedder.embed([FORGE, FORGE_TOO, TAXES])
    assert len(a) == 512 and math.isclose(sum(x * x for x in a), 1.0, rel_tol=1e-9)
    assert embedder.embed([FORGE])[0] == a
    assert cos(a, b) > cos(a, c) + 0.2


def test_projection_keeps_similarity_and_truncation_renormalises() -> None:
    a, b, c = HashedNgramEmbedder().embed([FORGE, FORGE_TOO, TAXES])
    pa, pb, pc = (project(v, 1536) for v in (a, b, c))
    assert len(pa) == 1536 and math.isclose(sum(x * x for x in pa), 1.0, rel_tol=1e-9)
    assert project(a, 1536) == pa  # deterministic
    assert abs(cos(pa, pb) - cos(a, b)) < 0.1 and cos(pa, pb) > cos(pa, pc)
    short = truncate(pa, 256)
    assert len(short) == 256 and math.isclose(sum(x * x for x in short), 1.0, rel_tol=1e-9)
    scale = math.sqrt(sum(x * x for x in pa[:256]))
    assert all(math.isclose(s * scale, x, abs_tol=1e-12) for s, x in zip(short, pa[:256], strict=True))


@pytest.mark.skipif(not MiniLMEmbedder.available(), reason="mg[embeddings-local] is not installed")
def test_minilm_knows_meaning_not_just_words() -> None:
    embedder = MiniLMEmbedder()
    dragon, wyrm, market = embedder.embed(
        [
            "A dragon breathes fire over the castle walls.",
            "The ancient wyrm scorched the fortress with its flames.",
            "Stock prices fell sharply after the earnings report.",
        ]
    )
    assert len(dragon) == 384
    assert cos(dragon, wyrm) > cos(dragon, market) + 0.2
