"""What generated JSON values look like: game-flavoured strings and numbers chosen by property name.

:mod:`schema_instances` decides what a schema allows; this module decides what reads well inside
that: ``item_name`` becomes "Dragon Fang" for a player asking about a dragon, ``price`` a sum in
gold (or the one the player named), ``quest_id`` a slug of the player's words.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Hints:
    """What the generated values may draw on.

    ``topic`` is the noun phrase the player asked about ("legendary sword"), ``text`` the prompt
    (enum values mentioned in it win, "for 50 gold" sets a price), ``values`` known named values
    such as game state or the NPC's name (a property with the same name takes that value), and
    ``seed`` makes every other choice stable. ``things`` stand in for a missing topic, by a word of
    the property's name (``{"quest": "shop errand"}`` fills ``quest_id``; ``"item"`` is the default).
    """

    topic: str = ""
    text: str = ""
    values: Mapping[str, Any] = field(default_factory=dict)
    seed: str = ""
    things: Mapping[str, str] = field(default_factory=dict)


def words(name: str) -> list[str]:
    """A property name's words: ``itemName`` and ``item_name`` both give ["item", "name"]."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


def slug(text: str) -> str:
    return "_".join(words(text)) or "item"


def _title(text: str) -> str:
    small = {"of", "the", "and"}
    return " ".join(w if w in small and i else w[:1].upper() + w[1:] for i, w in enumerate(text.split()))


def _set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# fmt: off
_ITEM_NOUNS = _set("sword axe staff bow ring amulet shield helm helmet armor armour potion dagger hammer "
                   "blade cloak boots gauntlets wand scroll spear mace crossbow longsword greatsword tome "
                   "charm crown gem key map")
_NAME_NOUNS = ("Fang", "Edge", "Ward", "Brand", "Heart", "Crown", "Cleaver", "Talon")
_NAME_ADJS = ("Ember", "Frost", "Shadow", "Storm", "Iron", "Gilded", "Ashen", "Wyrm")
_PEOPLE = ("Brunhild", "Tobias", "Mirela", "Garrick", "Yselde", "Oren")
_EFFECTS = ("+15 fire damage", "burns enemies on hit", "grants fire resistance", "+5 strength",
            "lifesteal on critical hits", "glows near hidden doors", "10% chance to stun", "+20 max health")
_DESCRIPTIONS = (
    "Forged for those who face the {topic}, it hums with old power.",
    "Said to be claimed from the {topic}, it is still warm to the touch.",
    "A relic tied to the {topic}, etched with runes no smith alive can read.",
)
_POOLS: dict[str, tuple[str, ...]] = {
    "rarity": ("common", "uncommon", "rare", "epic", "legendary"),
    "currency": ("gold", "silver", "gems"),
    "element": ("fire", "frost", "lightning", "poison", "shadow"),
    "color": ("crimson", "obsidian", "silver", "emerald", "amber"),
    "difficulty": ("easy", "medium", "hard"),
    "mood": ("wary", "amused", "grim", "hopeful"),
    "slot": ("main_hand", "off_hand", "head", "chest"),
    "category": ("weapon", "armor", "consumable", "trinket"),
    "location": ("Iron Forge", "Rusty Mug Inn", "Northern Watchtower", "Whispering Woods"),
    "class": ("warrior", "ranger", "mage", "rogue"),
    "status": ("active", "pending", "complete"),
    "tag": ("loot", "boss", "quest", "crafting"),
}
# Pools whose first entry is the natural default ("gold"), not one choice among equals.
_DEFAULT_FIRST = {"currency"}
_POOL_ALIASES = {
    "damage_type": "element", "school": "element", "colour": "color", "tier": "rarity",
    "quality": "rarity", "type": "category", "kind": "category", "item_type": "category",
    "place": "location", "region": "location", "zone": "location", "area": "location",
    "emotion": "mood", "tone": "mood", "tags": "tag", "keywords": "tag", "state": "status",
}
_TEXT_WORDS = _set("description desc summary text lore flavor flavour details message dialogue line reply "
                   "response reason story content greeting hint")
_EFFECT_WORDS = _set("effect effects ability abilities perk perks buff buffs trait traits")
_NAME_WORDS = _set("name title item label item_name weapon reward")
_PERSON_WORDS = _set("npc speaker character owner giver author player npc_name")
_PRICE_WORDS = _set("price cost gold coins value reward fee")
# (words in the property name, thematic low, high): the first row that matches wins.
_INT_RANGES: tuple[tuple[frozenset[str], int, int], ...] = (
    (_set("price cost value gold coins reward bounty fee"), 10, 500),
    (_set("damage attack power strength dps"), 12, 120),
    (_set("defense defence armor armour block"), 5, 80),
    (_set("level lvl rank"), 1, 60),
    (_set("quantity count qty amount stack charges"), 1, 5),
    (_set("health hp mana stamina"), 50, 500),
    (_set("reputation trust affinity standing loyalty"), 0, 100),
    (_set("percent chance probability pct"), 5, 95),
    (_set("duration seconds cooldown time"), 30, 600),
    (_set("weight"), 1, 30),
    (_set("xp experience"), 50, 1000),
)
# fmt: on


class Theme:
    """Themed values for one set of hints; every choice hashes the seed with the value's path."""

    def __init__(self, hints: Hints) -> None:
        self.hints = hints
        self.topic = hints.topic.strip()
        self.text = hints.text.lower()

    def pick(self, path: str, n: int) -> int:
        digest = hashlib.sha256(f"{self.hints.seed}|{path}".encode()).digest()
        return int.from_bytes(digest[:8], "big") % max(n, 1)

    def mentioned(self, option: str) -> bool:
        return re.search(rf"\b{re.escape(option.lower())}\b", self.text) is not None

    def guess_kind(self, name: str) -> str:
        """The JSON type a property of this name most likely holds, when the schema does not say."""
        named = set(words(name))
        known = self.hints.values.get(name)
        if named & _EFFECT_WORDS or name.lower() in ("tags", "keywords", "inventory", "items"):
            return "array"
        if isinstance(known, bool) or words(name)[:1] in (["is"], ["has"], ["can"]):
            return "boolean"
        if isinstance(known, int) or any(named & names for names, _, _ in _INT_RANGES):
            return "integer"
        return "string"

    def int_range(self, name: str) -> tuple[int, int]:
        named = set(words(name))
        return next(((lo, hi) for names, lo, hi in _INT_RANGES if named & names), (1, 100))

    def known_number(self, name: str) -> int | float | None:
        known = self.hints.values.get(name)
        if isinstance(known, (int, float)) and not isinstance(known, bool):
            return known
        if set(words(name)) & _PRICE_WORDS:
            found = re.search(r"(\d+)\s*(?:gold|coins?|gp|silver|crowns?)\b", self.text)
            if found:
                return int(found.group(1))
        return None

    def string(self, fmt: Any, path: str, name: str, index: int) -> str:
        """A string for property ``name`` (``index`` tells array items apart)."""
        named = set(words(name))
        topic = self.topic_for(named, path)
        formatted = self.formatted(fmt, path, topic)
        if formatted is not None:
            return formatted
        known = self.hints.values.get(name)
        if isinstance(known, str) and known:
            return known
        lowered = name.lower()
        if words(name)[-1:] == ["id"]:
            return slug(topic) if index == 0 else f"{slug(topic)}_{index + 1}"
        pool_key = _POOL_ALIASES.get(lowered, lowered)
        if pool_key in _POOLS:
            pool = _POOLS[pool_key]
            said = [i for i, option in enumerate(pool) if self.mentioned(option)]
            first = said[0] if said else 0 if pool_key in _DEFAULT_FIRST else self.pick(path, len(pool))
            return pool[(first + index) % len(pool)]
        if named & _PERSON_WORDS:
            person = self.hints.values.get("npc_name")
            return person if isinstance(person, str) and person else _PEOPLE[self.pick(path, len(_PEOPLE))]
        if named & _EFFECT_WORDS:
            return _EFFECTS[(self.pick(path, len(_EFFECTS)) + index) % len(_EFFECTS)]
        if named & _TEXT_WORDS:
            line = _DESCRIPTIONS[(self.pick(path, len(_DESCRIPTIONS)) + index) % len(_DESCRIPTIONS)]
            return line.format(topic=topic)
        if lowered in _NAME_WORDS or named & {"name", "title"}:
            return self.item_name(topic, path, index)
        if "currency" in named:
            return "gold"
        return f"{topic} {index + 1}" if index else topic

    def formatted(self, fmt: Any, path: str, topic: str) -> str | None:
        if not isinstance(fmt, str):
            return None
        seed_hex = hashlib.sha256(f"{self.hints.seed}|{path}".encode()).hexdigest()
        day, hour = 1 + int(seed_hex[:2], 16) % 28, int(seed_hex[2:4], 16) % 24
        dotted = slug(topic).replace("_", ".")
        dashed = slug(topic).replace("_", "-")
        by_format = {
            "date-time": f"2026-05-{day:02d}T{hour:02d}:00:00Z",
            "date": f"2026-05-{day:02d}",
            "time": f"{hour:02d}:30:00Z",
            "email": f"{dotted}@example.com",
            "idn-email": f"{dotted}@example.com",
            "uri": f"https://example.com/{dashed}",
            "url": f"https://example.com/{dashed}",
            "iri": f"https://example.com/{dashed}",
            "uri-reference": f"/{dashed}",
            "iri-reference": f"/{dashed}",
            "uuid": str(uuid.UUID(hex=seed_hex[:32], version=4)),
            "hostname": f"{dashed}.example.com",
            "idn-hostname": f"{dashed}.example.com",
            "ipv4": f"192.0.2.{1 + int(seed_hex[:2], 16) % 254}",
            "ipv6": f"2001:db8::{seed_hex[:4]}",
            "duration": f"PT{1 + hour}M",
        }
        return by_format.get(fmt)

    def topic_for(self, named: set[str], path: str) -> str:
        if self.topic:
            return self.topic
        things = self.hints.things
        for word in sorted(named):
            if word in things:
                return things[word]
        if "item" in things:
            return things["item"]
        return _NAME_ADJS[self.pick(path + "#t", len(_NAME_ADJS))].lower() + " relic"

    def item_name(self, topic: str, path: str, index: int) -> str:
        topic_words = topic.split()
        noun = _NAME_NOUNS[(self.pick(path + "#n", len(_NAME_NOUNS)) + index) % len(_NAME_NOUNS)]
        if index == 0 and any(w.lower() in _ITEM_NOUNS for w in topic_words):
            return _title(topic)
        if topic_words:
            return f"{_title(topic_words[0])} {noun}"
        return f"{_NAME_ADJS[self.pick(path + '#a', len(_NAME_ADJS))]} {noun}"
