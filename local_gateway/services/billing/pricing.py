"""Prices as the API shows them: the tier table, per-model list prices, cost estimates."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from local_gateway.providers.base import ModelInfo
from local_gateway.services.accounts.tiers import Tier, tier_allows
from local_gateway.services.billing.money import cost_micros, micros_to_usd

MAX_ESTIMATE_TOKENS = 100_000_000


def tier_table(tiers: Iterable[Tier], models: Iterable[ModelInfo]) -> list[dict[str, Any]]:
    chat = [m for m in models if m.kind == "chat"]
    return [
        dict(t.as_dict(), models_available=sum(1 for m in chat if tier_allows(t.id, m.tier_minimum)))
        for t in tiers
    ]


def price_list(models: Iterable[ModelInfo]) -> list[dict[str, Any]]:
    return [
        {
            "model": m.id,
            "provider": m.provider,
            "kind": m.kind,
            "tier_minimum": m.tier_minimum,
            "input_per_1m": m.input_per_1m,
            "output_per_1m": m.output_per_1m,
            "currency": "usd",
        }
        for m in models
    ]


def estimate(model: ModelInfo, input_tokens: int, output_tokens: int, tier: Tier | None) -> dict[str, Any]:
    """What a request of this size costs at list price, and to ``tier`` after its discount."""
    for name, value in (("input_tokens", input_tokens), ("output_tokens", output_tokens)):
        if not 0 <= value <= MAX_ESTIMATE_TOKENS:
            raise ValueError(f"{name} must be between 0 and {MAX_ESTIMATE_TOKENS}")
    discount = tier.discount if tier is not None else 0
    list_cost = cost_micros(model, input_tokens, output_tokens)
    cost = cost_micros(model, input_tokens, output_tokens, discount)
    return {
        "object": "cost_estimate",
        "model": model.id,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "pricing": {
            "input_per_1m": model.input_per_1m,
            "output_per_1m": model.output_per_1m,
            "currency": "usd",
        },
        "list_cost_usd": micros_to_usd(list_cost),
        "tier": tier.id if tier is not None else None,
        "discount_pct": discount,
        "cost_usd": micros_to_usd(cost),
    }
