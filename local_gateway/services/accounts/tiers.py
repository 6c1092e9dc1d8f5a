"""The account tiers as data (``data/models.json``): order, names, rate limits, daily caps,
discounts, seats and which models they reach."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

TIER_ORDER = ["free", "payg", "starter", "pro", "studio", "enterprise"]
TIER_ALIASES = {"pay-as-you-go": "payg", "paygo": "payg", "pay_as_you_go": "payg"}


@dataclass(frozen=True)
class Tier:
    id: str
    name: str
    price_monthly_usd: float | None
    rpm: int
    daily_cap_usd: float | None
    # None: negotiated per account (Enterprise); billed at list price until one is set.
    discount_pct: int | None = 0
    seats: int | None = None
    models: str = ""

    @property
    def discount(self) -> int:
        return self.discount_pct or 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "price_monthly_usd": self.price_monthly_usd,
            "discount_pct": self.discount_pct,
            "requests_per_minute": self.rpm,
            "daily_cap_usd": self.daily_cap_usd,
            "seats": self.seats,
            "models": self.models,
        }


def normalize_tier(name: str) -> str:
    tier = name.strip().lower()
    tier = TIER_ALIASES.get(tier, tier)
    if tier not in TIER_ORDER:
        raise ValueError(f"unknown tier {name!r}; use one of {', '.join(TIER_ORDER)}")
    return tier


def tier_allows(tier: str, minimum: str) -> bool:
    return TIER_ORDER.index(tier) >= TIER_ORDER.index(minimum)


def tiers_from(raw: list[dict[str, Any]]) -> dict[str, Tier]:
    return {
        t["id"]: Tier(
            t["id"],
            t["name"],
            t.get("price_monthly_usd"),
            t["rpm"],
            t.get("daily_cap_usd"),
            t.get("discount_pct"),
            t.get("seats"),
            t.get("models", ""),
        )
        for t in raw
    }


@cache
def load_tiers() -> dict[str, Tier]:
    text = resources.files("local_gateway.data").joinpath("models.json").read_text("utf-8")
    return tiers_from(json.loads(text)["tiers"])
