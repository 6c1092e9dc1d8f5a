"""The model catalog (data file): which models exist, who may use them, at what price."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from local_gateway.providers.base import ModelInfo
from local_gateway.services.accounts.tiers import Tier, tier_allows, tiers_from
from mg.errors import ModelNotFoundError, TierRestrictedError


class Catalog:
    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.raw_models: list[dict[str, Any]] = raw["models"]
        self.tiers: dict[str, Tier] = tiers_from(raw["tiers"])
        self.models: dict[str, ModelInfo] = {}
        self._lookup: dict[str, ModelInfo] = {}
        self.fallbacks: dict[str, list[str]] = {}
        for entry in self.raw_models:
            info = ModelInfo(
                id=entry["id"],
                provider=entry["provider"],
                upstream=entry.get("upstream", entry["id"]),
                context_window=int(entry["context_window"]),
                max_output=int(entry.get("max_output") or 0),
                input_per_1m=float(entry["pricing"]["input_per_1m"]),
                output_per_1m=float(entry["pricing"]["output_per_1m"]),
                tier_minimum=entry.get("tier_minimum", "free"),
                api=entry.get("api", "openai"),
                kind=entry.get("kind", "chat"),
                capabilities=dict(entry.get("capabilities") or {}),
                price_class=entry.get("price_class", "budget"),
                display_name=entry.get("display_name", entry["id"]),
                dimensions=entry.get("dimensions"),
            )
            self.models[info.id] = info
            self._lookup[info.id.lower()] = info
            for alias in entry.get("aliases") or ():
                self._lookup[alias.lower()] = info
            self.fallbacks[info.id] = list(entry.get("fallback") or ())

    def extended(self, extra: object) -> Catalog:
        """A catalog with ``extra["models"]`` added (or replacing entries with the same id);
        ``extra`` is a parsed models file, so any JSON value."""
        models = extra.get("models") if isinstance(extra, dict) else None
        if not isinstance(models, list):
            raise ValueError("a models file needs a top-level 'models' array")
        for i, entry in enumerate(models):
            missing = [k for k in ("id", "provider", "context_window") if k not in (entry or {})]
            if missing:
                raise ValueError(f"models[{i}] lacks {', '.join(missing)}")
        ids = {m["id"] for m in models}
        merged = [m for m in self.raw_models if m["id"] not in ids]
        free = {"input_per_1m": 0, "output_per_1m": 0}
        merged += [dict(m, pricing=m.get("pricing") or free) for m in models]
        return Catalog(dict(self.raw, models=merged))

    def get(self, model_id: str) -> ModelInfo | None:
        return self._lookup.get(model_id.lower())

    def resolve(self, model_id: str, tier: str, kind: str = "chat") -> ModelInfo:
        """The model a request names, checked against the caller's tier."""
        info = self.get(model_id)
        if info is None or info.kind != kind:
            raise ModelNotFoundError(f"The model '{model_id}' does not exist.")
        if not tier_allows(tier, info.tier_minimum):
            raise TierRestrictedError(
                f"The model '{info.id}' needs the {self.tiers[info.tier_minimum].name} tier or above; "
                f"this key's tier is {self.tiers[tier].name}."
            )
        return info

    def available(self, tier: str, kind: str | None = "chat") -> list[ModelInfo]:
        return [
            m
            for m in self.models.values()
            if (kind is None or m.kind == kind) and tier_allows(tier, m.tier_minimum)
        ]

    def providers(self) -> list[str]:
        return sorted({m.provider for m in self.models.values()})


@cache
def load_catalog() -> Catalog:
    text = resources.files("local_gateway.data").joinpath("models.json").read_text("utf-8")
    return Catalog(json.loads(text))


def catalog_with(models_file: Path | None) -> Catalog:
    """The built-in catalog plus the operator's own models (local servers, fine-tunes)."""
    catalog = load_catalog()
    if models_file is None:
        return catalog
    try:
        extra = json.loads(models_file.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read the models file {models_file}: {exc}") from exc
    return catalog.extended(extra)
