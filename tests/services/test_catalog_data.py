"""The model catalog is data that billing, tier checks and fallback routing all trust blindly,
so its invariants are checked here rather than discovered at request time."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

CATALOG = Path(__file__).resolve().parents[2] / "local_gateway" / "data" / "models.json"
TIER_ORDER = ["free", "payg", "starter", "pro", "studio", "enterprise"]
CLASS_ORDER = ["budget", "standard", "premium"]
# Which tiers may first unlock a model of each price class (spec, "Pricing Tiers").
CLASS_TIERS = {
    "budget": {"free", "payg"},
    "standard": {"starter"},
    "premium": {"pro", "studio", "enterprise"},
}
MODEL_KEYS = {
    "id",
    "provider",
    "upstream",
    "display_name",
    "context_window",
    "max_output",
    "pricing",
    "tier_minimum",
    "api",
    "kind",
    "price_class",
    "capabilities",
}
OPTIONAL_KEYS = {"aliases", "fallback", "dimensions"}
PROVIDERS = {
    "anthropic",
    "openai",
    "google",
    "deepseek",
    "mistral",
    "xai",
    "groq",
    "together",
    "openrouter",
    "monstergaming",
}


@pytest.fixture(scope="module")
def catalog() -> dict[str, Any]:
    return json.loads(CATALOG.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def chat(catalog: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in catalog["models"] if m["kind"] == "chat"]


@pytest.fixture(scope="module")
def by_id(catalog: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["id"]: m for m in catalog["models"]}


def test_top_level_shape(catalog: dict[str, Any]) -> None:
    assert set(catalog) == {"tiers", "models"}
    assert [t["id"] for t in catalog["tiers"]] == TIER_ORDER


def test_fifty_nine_chat_models_across_ten_providers(chat: list[dict[str, Any]]) -> None:
    assert len(chat) == 59
    assert {m["provider"] for m in chat} == PROVIDERS
    # monster-gpt is the single model of its provider: it counts once however it routes.
    assert Counter(m["provider"] for m in chat)["monstergaming"] == 1


def test_every_entry_has_the_same_keys(catalog: dict[str, Any]) -> None:
    for m in catalog["models"]:
        keys = set(m)
        assert not MODEL_KEYS - keys, (m["id"], MODEL_KEYS - keys)
        assert keys <= MODEL_KEYS | OPTIONAL_KEYS, (m["id"], keys - MODEL_KEYS - OPTIONAL_KEYS)
        assert set(m["pricing"]) == {"input_per_1m", "output_per_1m"}
        assert m["kind"] in {"chat", "embedding"}
        assert m["api"] in {"openai", "anthropic", "gemini", "router"}
        assert m["price_class"] in CLASS_ORDER
        assert m["tier_minimum"] in TIER_ORDER


def test_ids_and_aliases_are_unique(catalog: dict[str, Any]) -> None:
    names = []
    for m in catalog["models"]:
        names.append(m["id"])
        names.extend(m.get("aliases", []))
    dupes = [n for n, c in Counter(names).items() if c > 1]
    assert not dupes


def test_prices_and_limits_are_sane(catalog: dict[str, Any]) -> None:
    for m in catalog["models"]:
        assert m["pricing"]["input_per_1m"] >= 0, m["id"]
        assert m["pricing"]["output_per_1m"] >= 0, m["id"]
        assert m["context_window"] > 0, m["id"]
        if m["kind"] == "chat":
            assert 0 < m["max_output"] <= m["context_window"], m["id"]
            assert set(m["capabilities"]) == {"tools", "vision", "json_schema"}, m["id"]


def test_api_shape_follows_provider(chat: list[dict[str, Any]]) -> None:
    expected = {"anthropic": "anthropic", "google": "gemini", "monstergaming": "router"}
    for m in chat:
        assert m["api"] == expected.get(m["provider"], "openai"), m["id"]


def test_tier_minimum_matches_price_class(chat: list[dict[str, Any]]) -> None:
    for m in chat:
        assert m["tier_minimum"] in CLASS_TIERS[m["price_class"]], m["id"]


@pytest.mark.parametrize(
    ("name", "tier"),
    [
        # The spec's popular models and the SDKs' per-tier lists (wire notes).
        ("monster-gpt", "free"),
        ("deepseek-chat", "free"),
        ("gemini-3-flash", "free"),
        ("claude-haiku", "free"),
        ("codestral", "free"),
        ("claude-sonnet-4-6", "starter"),
        ("claude-sonnet", "starter"),
        ("gpt-4o", "starter"),
        ("gemini-3.1-pro", "starter"),
        ("mistral-large", "starter"),
        ("claude-opus-4-6", "pro"),
        ("claude-opus", "pro"),
        ("o3", "pro"),
        ("gpt-5.4", "pro"),
    ],
)
def test_advertised_models_exist_at_their_tier(catalog: dict[str, Any], name: str, tier: str) -> None:
    found = [m for m in catalog["models"] if name == m["id"] or name in m.get("aliases", [])]
    assert len(found) == 1, name
    assert found[0]["tier_minimum"] == tier


def test_fallbacks_are_cheaper_or_equal_elsewhere(
    chat: list[dict[str, Any]], by_id: dict[str, dict[str, Any]]
) -> None:
    for m in chat:
        chain = m.get("fallback", [])
        assert len(chain) == len(set(chain)), m["id"]
        for fid in chain:
            assert fid in by_id, (m["id"], fid)
            alt = by_id[fid]
            assert alt["kind"] == "chat", (m["id"], fid)
            assert alt["provider"] != m["provider"], (m["id"], fid)
            assert CLASS_ORDER.index(alt["price_class"]) <= CLASS_ORDER.index(m["price_class"]), (
                m["id"],
                fid,
            )
            # A fallback must be reachable by everyone who can call the original ...
            assert TIER_ORDER.index(alt["tier_minimum"]) <= TIER_ORDER.index(m["tier_minimum"]), (
                m["id"],
                fid,
            )
            # ... and must not fail a request the original would have served.
            for cap, on in m["capabilities"].items():
                if on:
                    assert alt["capabilities"].get(cap), (m["id"], fid, cap)


def test_every_chat_model_has_a_fallback(chat: list[dict[str, Any]]) -> None:
    assert [m["id"] for m in chat if not m.get("fallback")] == []


def test_embedding_models(catalog: dict[str, Any]) -> None:
    emb = {m["id"]: m for m in catalog["models"] if m["kind"] == "embedding"}
    assert {k: v["dimensions"] for k, v in emb.items()} == {
        "text-embedding-3-small": 1536,
        "text-embedding-3-large": 3072,
        "embedding-001": 768,
    }
    for m in emb.values():
        assert m["max_output"] == 0
        assert m["pricing"]["output_per_1m"] == 0
        assert "fallback" not in m
    chat_with_dims = [m["id"] for m in catalog["models"] if m["kind"] == "chat" and "dimensions" in m]
    assert chat_with_dims == []
