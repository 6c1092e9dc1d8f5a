"""One embedder per gateway process: test-key embeddings, NPC memory and Monster-GPT share it."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from local_gateway.api.appkeys import SERVICES
from local_gateway.app import create_app
from local_gateway.providers import minilm
from local_gateway.providers.embedders import HASHED, MINILM, HashedNgramEmbedder
from local_gateway.providers.minilm import MiniLMEmbedder
from local_gateway.services.container import Services
from local_gateway.services.monster_gpt.semantic import CACHE_FILE
from local_gateway.settings import Settings


def _holders(services: Services) -> list[object]:
    conversations = services.conversations
    return [
        services.embeddings.embedder,
        conversations.embedder,
        conversations.recorder.embedder,
        conversations.folder.embedder,
    ]


async def _embed(client: TestClient, services: Services, text: str) -> tuple[str, list[float]]:
    key = await services.keys.create_key("dev@example.com", tier="studio", environment="test")
    response = await client.post(
        "/v1/embeddings",
        json={"model": "text-embedding-3-small", "input": text},
        headers={"Authorization": f"Bearer {key.api_key}"},
    )
    assert response.status == 200, await response.text()
    body = await response.json()
    return response.headers["X-Monster-Embedder"], body["data"][0]["embedding"]


async def test_one_minilm_serves_embeddings_npc_memory_and_monster_gpt(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, cache_dir=tmp_path / "cache", bootstrap=False, save_bootstrap_key=False
    )
    async with TestClient(TestServer(create_app(settings))) as client:
        services = client.app[SERVICES]
        embedder = services.embedder
        assert isinstance(embedder, MiniLMEmbedder)
        assert all(holder is embedder for holder in _holders(services))
        semantic = services.chat.semantic
        assert semantic is not None and semantic.embedder is embedder
        # The start-up warm-up loads the model and builds the centroids in the background.
        for _ in range(600):
            if semantic.ready:
                break
            await asyncio.sleep(0.1)
        assert semantic.ready and embedder.loaded
        # The disciplines' vectors were embedded and kept for the next start.
        assert semantic.source == "built" and (settings.cache_dir / CACHE_FILE).is_file()
        name, vector = await _embed(client, services, "a dragon over the castle")
        assert name == MINILM and len(vector) == 1536


async def test_a_model_that_cannot_load_leaves_hashed_vectors_announced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real = minilm.packaged_model()
    assert real is not None
    broken = tmp_path / "model.onnx"
    broken.write_bytes(real.read_bytes()[:4096])
    monkeypatch.setattr(minilm, "packaged_model", lambda: broken)
    settings = Settings(
        data_dir=tmp_path / "data", cache_dir=tmp_path / "cache", bootstrap=False, save_bootstrap_key=False
    )
    with caplog.at_level(logging.WARNING, "mg.gateway.embeddings"):
        async with TestClient(TestServer(create_app(settings))) as client:
            services = client.app[SERVICES]
            embedder = services.embedder
            assert isinstance(embedder, MiniLMEmbedder)
            for _ in range(600):
                if embedder.failure is not None:
                    break
                await asyncio.sleep(0.1)
            name, vector = await _embed(client, services, "a dragon over the castle")
            assert name == HASHED and len(vector) == 1536
            assert services.chat.semantic is not None and not services.chat.semantic.ready
    # Fallback vectors are never cached as the model's.
    assert not (tmp_path / "cache").exists()
    messages = [r.getMessage() for r in caplog.records]
    assert any("cannot load" in m and "sha256" in m for m in messages), messages


async def test_hashed_fallback_is_shared_and_keeps_monster_gpt_lexical(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, bootstrap=False, save_bootstrap_key=False, embedder="hashed")
    async with TestClient(TestServer(create_app(settings))) as client:
        services = client.app[SERVICES]
        assert isinstance(services.embedder, HashedNgramEmbedder)
        assert services.embedder.name == HASHED
        assert all(holder is services.embedder for holder in _holders(services))
        assert services.chat.semantic is None
