"""The Monster-GPT disciplines: one TOML file each under ``local_gateway/data/disciplines``.

A discipline is data, not code: who answers (``specialist``), what the craft talks about
(``keywords``, graded ``core`` / ``strong`` / ``medium`` / ``weak``, and ``prototypes``: plain
sentences about the problems the craft solves), how the specialist answers
(``system_prompt``) and which catalog model serves it at each tier (``[route]``). Adding a
discipline is adding a file; the classifier learns it from that file alone.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "disciplines"
GENERAL = "general"
# Tiers in ascending order; a route entry serves its tier and every higher one without its own.
TIERS: tuple[str, ...] = ("free", "payg", "starter", "pro", "studio", "enterprise")
KEYWORD_GRADES: tuple[str, ...] = ("core", "strong", "medium", "weak")
_REQUIRED_TEXT = ("id", "name", "specialist", "description", "system_prompt")


@dataclass(frozen=True)
class Discipline:
    """One specialist craft, as parsed from its TOML file."""

    id: str
    name: str
    specialist: str
    description: str
    examples: tuple[str, ...]
    # Plain-language sentences about the problems the craft solves: what the paraphrase-tolerant
    # layers of the classifier learn from (see monster_gpt.py).
    prototypes: tuple[str, ...]
    keywords: MappingProxyType[str, tuple[str, ...]]
    route: MappingProxyType[str, str]
    system_prompt: str

    def model_for(self, tier: str) -> str:
        """The backend model id for ``tier``: its own entry or the nearest lower tier's."""
        rank = tier_rank(tier)
        for candidate in reversed(TIERS[: rank + 1]):
            if candidate in self.route:
                return self.route[candidate]
        raise LookupError(f"discipline {self.id!r} has no model for tier {tier!r} or below")


def tier_rank(tier: str) -> int:
    """Position of ``tier`` in :data:`TIERS`; raises ``ValueError`` for an unknown tier."""
    try:
        return TIERS.index(tier)
    except ValueError:
        raise ValueError(f"unknown tier {tier!r}; expected one of {', '.join(TIERS)}") from None


def _parse(path: Path) -> Discipline:
    with path.open("rb") as fh:
        raw: dict[str, Any] = tomllib.load(fh)
    where = path.name
    for key in _REQUIRED_TEXT:
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise ValueError(f"{where}: {key!r} must be a non-empty string")
    if raw["id"] != path.stem:
        raise ValueError(f"{where}: id {raw['id']!r} must match the file name")
    examples = raw.get("examples")
    if not isinstance(examples, list) or len(examples) < 3 or not all(isinstance(e, str) for e in examples):
        raise ValueError(f"{where}: 'examples' must list at least three prompts")
    prototypes = raw.get("prototypes", [])
    if not isinstance(prototypes, list) or not all(isinstance(p, str) and p.strip() for p in prototypes):
        raise ValueError(f"{where}: 'prototypes' must be a list of sentences")
    keywords = raw.get("keywords")
    if not isinstance(keywords, dict) or set(keywords) - set(KEYWORD_GRADES):
        raise ValueError(f"{where}: [keywords] takes only {', '.join(KEYWORD_GRADES)}")
    for grade, terms in keywords.items():
        if not isinstance(terms, list) or not all(isinstance(t, str) and t.strip() for t in terms):
            raise ValueError(f"{where}: keywords.{grade} must be a list of terms")
    route = raw.get("route")
    if not isinstance(route, dict) or not route:
        raise ValueError(f"{where}: [route] must map tiers to model ids")
    for tier, model in route.items():
        tier_rank(tier)
        if not isinstance(model, str) or not model:
            raise ValueError(f"{where}: route.{tier} must be a model id")
    return Discipline(
        id=raw["id"],
        name=raw["name"],
        specialist=raw["specialist"],
        description=raw["description"].strip(),
        examples=tuple(examples),
        prototypes=tuple(p.strip() for p in prototypes),
        keywords=MappingProxyType({g: tuple(keywords.get(g, ())) for g in KEYWORD_GRADES}),
        route=MappingProxyType(dict(route)),
        system_prompt=raw["system_prompt"].strip(),
    )


@cache
def load_disciplines(directory: Path = DATA_DIR) -> MappingProxyType[str, Discipline]:
    """Every discipline keyed by id, sorted by id; parsed once per directory and cached."""
    found = {d.id: d for d in (_parse(p) for p in sorted(directory.glob("*.toml")))}
    if GENERAL not in found:
        raise ValueError(f"{directory}: the '{GENERAL}' fallback discipline is missing")
    if "free" not in found[GENERAL].route:
        raise ValueError(f"{directory}: '{GENERAL}' must route the free tier")
    for d in found.values():
        if d.id != GENERAL and "starter" not in d.route and "free" not in d.route:
            raise ValueError(f"{d.id}.toml: specialists start at starter, so [route] needs 'starter'")
    return MappingProxyType(found)
