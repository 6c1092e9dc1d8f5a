"""Offline embedders: unit vectors, deterministic, related sentences closer than unrelated ones."""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path

import pytest

from local_gateway.providers import minilm
from local_gateway.providers.embedders import (
    HASHED,
    MINILM,
    HashedNgramEmbedder,
    local_embedder,
    project,
    truncate,
)
from local_gateway.providers.minilm import MiniLMEmbedder

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


@pytest.fixture(scope="module")
def model() -> MiniLMEmbedder:
    embedder = MiniLMEmbedder()
    assert embedder.warm(), embedder.failure
    return embedder


def test_minilm_knows_meaning_not_just_words(model: MiniLMEmbedder) -> None:
    dragon, wyrm, market = model.embed(
        [
            "A dragon breathes fire over the castle walls.",
            "The ancient wyrm scorched the fortress with its flames.",
            "Stock prices fell sharply after the earnings report.",
        ]
    )
    assert len(dragon) == 384 and math.isclose(sum(x * x for x in dragon), 1.0, rel_tol=1e-5)
    assert cos(dragon, wyrm) > cos(dragon, market) + 0.2


def test_the_default_install_embeds_by_meaning(model: MiniLMEmbedder) -> None:
    # The example: no word in common, yet the same scene; hashed n-grams scored it 0.02,
    # the same as the tax sentence.
    name, (forge, smith, taxes) = model.embed_named(
        [FORGE, "A smith hammered out a flaming blade at the anvil.", TAXES]
    )
    assert name == MINILM
    assert cos(forge, smith) > 0.4 and cos(forge, smith) > cos(forge, taxes) + 0.3


def test_a_text_embeds_the_same_alone_or_in_a_batch(model: MiniLMEmbedder) -> None:
    alone = model.embed([FORGE])[0]
    batched = model.embed([TAXES, "hi", FORGE, "A much longer sentence " * 20])[2]
    assert alone == batched


def test_until_loaded_the_fallback_answers_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    embedder = MiniLMEmbedder()
    with caplog.at_level(logging.WARNING, "mg.gateway.embeddings"):
        name, (vector,) = embedder.embed_named([FORGE])
    assert name == HASHED and len(vector) == 384
    assert any(HASHED in r.getMessage() and "not ready" in r.getMessage() for r in caplog.records)
    # That first call started the load in the background; MiniLM answers once it is in.
    deadline = time.monotonic() + 60
    while not embedder.loaded and time.monotonic() < deadline:
        time.sleep(0.05)
    assert embedder.embed_named([FORGE])[0] == MINILM


def test_a_model_file_that_fails_its_hash_is_never_run(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    real = minilm.packaged_model()
    assert real is not None
    tampered = tmp_path / "model.onnx"
    tampered.write_bytes(real.read_bytes()[: 1 << 20])
    embedder = MiniLMEmbedder(model_path=tampered)
    with caplog.at_level(logging.ERROR, "mg.gateway.embeddings"):
        assert not embedder.warm()
    assert embedder.failure is not None and "sha256" in embedder.failure
    assert any("cannot load" in r.getMessage() for r in caplog.records)
    name, (a, b) = embedder.embed_named([FORGE, FORGE_TOO])
    assert name == HASHED
    assert cos(a, b) == pytest.approx(cos(*HashedNgramEmbedder(384).embed([FORGE, FORGE_TOO])))


def test_mg_embedder_takes_auto_minilm_or_hashed() -> None:
    assert isinstance(local_embedder("auto"), MiniLMEmbedder)
    assert isinstance(local_embedder("minilm"), MiniLMEmbedder)
    assert isinstance(local_embedder("hashed"), HashedNgramEmbedder)
    with pytest.raises(ValueError, match="MG_EMBEDDER"):
        local_embedder("torch")
