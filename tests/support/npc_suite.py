"""Playing the scripted NPC memory suite (tests/data/npc_recall_suite.json) through a gateway.

Used by the pass/fail tests and by ``bench/run npc_recall``. Each conversation becomes a thread
(``POST /v1/threads``) and each turn a ``POST /v1/threads/{id}/speak``; the replies are scored as
a player would judge them:

- **fact recall**: a ``recall`` turn's reply contains one of its expected values;
- **self-contradiction**: a ``price`` or ``promise`` turn names a different figure (gold, or a
  time such as "by dawn", "in 3 days") than the first answer to the same item or promise, or an
  ``identity`` turn does not give the NPC's own name (or gives its npc_id);
- **topics**: a ``topic`` turn mentions one of the earlier topics it lists.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SUITE = Path(__file__).resolve().parents[1] / "data" / "npc_recall_suite.json"
_GOLD = re.compile(r"\b(\d[\d,]*)\s*(?:gold|coins?|crowns?|silver)\b", re.IGNORECASE)
_TIME = re.compile(
    r"\b(?:by|until|in|for|within)\s+((?:\d+|one|two|three|four|five|six|seven|a|an)\s+"
    r"(?:days?|nights?|weeks?|hours?|moons?)|dawn|dusk|nightfall|sundown|midday|noon|tomorrow(?:\s+\w+)?|"
    r"the next full moon|the end of the week)\b",
    re.IGNORECASE,
)

Speak = Callable[[str, str], str]  # (thread_id, player words) -> reply text


def load_suite(path: Path = SUITE) -> list[dict[str, Any]]:
    conversations: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["conversations"]
    return conversations


def figures(text: str) -> tuple[str, ...]:
    """What a price or promise answer commits to: the sums of gold and the times it names."""
    found = [m.group(1).replace(",", "") + " gold" for m in _GOLD.finditer(text)]
    found += [m.group(1).lower() for m in _TIME.finditer(text)]
    return tuple(found)


@dataclass
class Score:
    recalls: int = 0
    recalled: int = 0
    repeats: int = 0  # price / promise answers after the first for the same key
    contradictions: int = 0
    unanswered: int = 0  # price / promise turns that named no figure at all
    identities: int = 0
    identity_wrong: int = 0
    topics: int = 0
    topics_hit: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for name in ("recalls", "recalled", "repeats", "contradictions", "unanswered", "identities"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.identity_wrong += other.identity_wrong
        self.topics += other.topics
        self.topics_hit += other.topics_hit
        self.misses += other.misses

    @property
    def recall_rate(self) -> float:
        return self.recalled / self.recalls if self.recalls else 0.0

    @property
    def contradiction_rate(self) -> float:
        checks = self.repeats + self.identities
        return (self.contradictions + self.identity_wrong) / checks if checks else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "fact_recall": round(self.recall_rate, 3),
            "recalls": self.recalls,
            "recalled": self.recalled,
            "self_contradiction": round(self.contradiction_rate, 3),
            "repeat_quotes": self.repeats,
            "contradicted_quotes": self.contradictions,
            "quotes_without_figure": self.unanswered,
            "identity_checks": self.identities,
            "identity_wrong": self.identity_wrong,
            "topic_checks": self.topics,
            "topics_acknowledged": self.topics_hit,
        }


def score_conversation(conversation: dict[str, Any], replies: list[str]) -> Score:
    score = Score()
    first: dict[str, tuple[str, ...]] = {}
    name = conversation["npc_name"]
    for turn, reply in zip(conversation["turns"], replies, strict=True):
        check = turn["check"]
        lowered = reply.lower()
        where = f"{conversation['id']}: {turn['say']!r} -> {reply!r}"
        if check == "recall":
            score.recalls += 1
            if any(e.lower() in lowered for e in turn["expect"]):
                score.recalled += 1
            else:
                score.misses.append(f"recall {where}")
        elif check in ("price", "promise"):
            key = f"{check}:{turn.get('item') or turn.get('key')}"
            said = figures(reply)
            if not said:
                score.unanswered += 1
            if key in first:
                score.repeats += 1
                if said != first[key]:
                    score.contradictions += 1
                    score.misses.append(f"contradiction {where} (first: {first[key]})")
            elif said:
                first[key] = said
        elif check == "identity":
            score.identities += 1
            own = name.lower() in lowered
            if not own or re.search(rf"\b{re.escape(conversation['npc_id'])}\b", reply):
                score.identity_wrong += 1
                score.misses.append(f"identity {where}")
        elif check == "topic":
            score.topics += 1
            if any(re.search(rf"\b{re.escape(e.lower())}", lowered) for e in turn["expect"]):
                score.topics_hit += 1
            else:
                score.misses.append(f"topic {where}")
    return score


def thread_body(conversation: dict[str, Any], player_id: str) -> dict[str, Any]:
    body = {
        "npc_id": conversation["npc_id"],
        "player_id": player_id,
        "system_prompt": conversation["system_prompt"],
    }
    if conversation.get("npc_template"):
        body["npc_template"] = conversation["npc_template"]
    return body


def play(conversation: dict[str, Any], thread_id: str, speak: Speak) -> list[str]:
    return [speak(thread_id, turn["say"]) for turn in conversation["turns"]]
