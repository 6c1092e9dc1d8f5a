"""How the sandbox model reads a request: the player's words, their topic and intent, game state.

Everything here is pure and deterministic; phrasing choices go through :class:`Picker`, which
hashes a request fingerprint with a label, so one choice never shifts another.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d+(?:\.\d+)?")

_STOPWORDS_TEXT = """
    a an the and or but if then so of to in on at by for with about from into over under up down out
    off as is am are was were be been being do does did doing done have has had having i me my mine
    myself we us our you your yours yourself he him his she her it its they them their this that
    these those there here what which who whom whose when where why how can could would should will
    shall may might must not no nor yes please just very really too also some any all each every
    much many more most few lot lots one ones thing things something anything nothing everything
    stuff oh hey hi hello well ok okay yeah sure now again ever got get gets getting let lets like
    want wants wanted need needs know tell say said see look looking give gives giving make makes go
    going gonna come i'm you're it's that's don't can't won't let's i'd i'll you'd you'll we're
    they're isn't aren't didn't doesn't what's where's who's there's wanna kind sort maybe perhaps
    still even only own same other another such than way today tonight anyone someone somebody
    anybody thanks thank good great nice lately recently around anyway maybe already soon yet
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
# Verbs that carry the request but are not its topic: "forge me a sword" is about the sword.
_VERBS_TEXT = """
    forge craft build buy sell trade fight kill find show help bring take teach learn fix repair use
    try think hear heard seen told visit open explain describe write create generate implement add
    reduce improve optimize optimise handle avoid set keep stop start become buying selling trading
    offer recommend suggest choose pick work works working deal talk speak ask asked structure organize
    organise setup
"""
VERBS = frozenset(_VERBS_TEXT.split())
# Words a schema or JSON request is phrased with; never what the content is about.
_META_TEXT = """
    json object schema data example random list field fields key keys value values format
"""
META = frozenset(_META_TEXT.split())

# Word -> concept, so that "wares", "buy" and "sale" all reach a tool called "open_shop".
CONCEPTS: dict[str, str] = {}
for _concept, _members in {
    "trade": "trade buy sell sale shop store wares price cost purchase merchandise goods barter haggle "
    "deal afford coin coins merchant vendor",
    "quest": "quest task job work mission bounty errand adventure contract",
    "attack": "attack fight kill duel strike battle combat slay hostile aggro",
    "heal": "heal cure mend potion medicine wound wounds restore remedy",
    "follow": "follow join accompany party recruit companion",
    "open": "open unlock door gate",
    "craft": "craft forge smith build repair upgrade enchant reforge",
    "rumor": "rumor rumors rumour rumours gossip news information lore",
    "rest": "rest sleep room bed stay lodging",
    "travel": "travel teleport directions route journey",
}.items():
    for _word in _members.split():
        CONCEPTS[_word] = _concept

# Words that name the kind of request ("sale", "quest") rather than its object.
_INTENT_CONCEPTS = frozenset({"trade", "quest", "craft"})
_DETERMINERS_TEXT = """
    a an the my your some any this that these those his her their our of about for
"""
_DETERMINERS = frozenset(_DETERMINERS_TEXT.split())


class Picker:
    """Stable choices for one request: the same seed and label always pick the same option."""

    def __init__(self, seed: str) -> None:
        self.seed = seed

    def index(self, label: str, n: int) -> int:
        digest = hashlib.sha256(f"{self.seed}|{label}".encode()).digest()
        return int.from_bytes(digest[:8], "big") % max(n, 1)

    def choice(self, label: str, options: Sequence[T]) -> T:
        return options[self.index(label, len(options))]

    def hex(self, label: str, length: int = 24) -> str:
        return hashlib.sha256(f"{self.seed}|{label}".encode()).hexdigest()[:length]


def message_text(message: Mapping[str, Any]) -> str:
    """The text of a chat message, whether ``content`` is a string or a list of parts."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def last_user_text(messages: Sequence[Mapping[str, Any]]) -> str:
    """What the player said last: the text of the last user message."""
    for message in reversed(messages):
        if message.get("role") == "user":
            return message_text(message)
    return ""


def system_text(messages: Sequence[Mapping[str, Any]]) -> str:
    """All system (and developer) instructions, joined."""
    return "\n".join(message_text(m) for m in messages if m.get("role") in ("system", "developer"))


_PERSONA_NAME = (
    re.compile(r"\b(?i:your name is) ([A-Z][\w'-]*(?: [A-Z][\w'-]*)?)"),
    re.compile(r"\b(?:named|called) ([A-Z][\w'-]*(?: [A-Z][\w'-]*)?)"),
    re.compile(r"\bYou are ([A-Z][a-z'-]+(?: [A-Z][a-z'-]+)?)\s*,"),
)


def persona_name(prompt: str) -> str | None:
    """The character's name a prompt gives: "You are Brokk, a dwarf", "Your name is Sella"."""
    for pattern in _PERSONA_NAME:
        found = pattern.search(prompt)
        if found:
            return found.group(1)
    return None


def split_words(text: str) -> list[str]:
    """The words (and numbers) of a text, in order."""
    return [t.replace("’", "'") for t in _TOKEN.findall(text)]


def stem(word: str) -> str:
    """A light English stemmer: enough to meet "trading" with "trade" and "quests" with "quest"."""
    w = word.lower()
    if w.endswith("'s"):
        w = w[:-2]
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith("ing") and len(w) > 5:
        w = w[:-3]
        return w + "e" if w + "e" in CONCEPTS else w
    if w.endswith("ed") and len(w) > 4:
        return w[:-1] if w[:-1] in CONCEPTS else w[:-2]
    if w.endswith("s") and not w.endswith("ss") and len(w) > 3:
        return w[:-1]
    return w


def concepts(words: Iterable[str]) -> set[str]:
    """Stems of the content words plus the concepts they belong to."""
    out: set[str] = set()
    for word in words:
        lowered = word.lower()
        if lowered in STOPWORDS:
            continue
        stemmed = stem(lowered)
        out.add(stemmed)
        for form in (lowered, stemmed):
            if form in CONCEPTS:
                out.add("@" + CONCEPTS[form])
    return out


def _content_word(word: str) -> bool:
    lowered = word.lower()
    if not word or word[0].isdigit() or lowered in STOPWORDS or lowered in VERBS or lowered in META:
        return False
    return CONCEPTS.get(lowered) not in _INTENT_CONCEPTS


def topic_of(text: str) -> str:
    """The noun phrase a message is about: "Can you forge me a legendary sword?" -> "legendary sword"."""
    best: tuple[float, list[str]] = (0.0, [])
    position = 0
    for clause in re.split(r"[.?!;,:\n()\"]+", text):
        words = [*split_words(clause), ""]
        run: list[str] = []
        after_determiner = False
        for i, word in enumerate(words):
            if _content_word(word):
                if not run:
                    after_determiner = i > 0 and words[i - 1].lower() in _DETERMINERS
                # Sentence-initial capitals are grammar, not proper nouns.
                run.append(word.lower() if i == 0 and not word.isupper() else word)
                continue
            if run and word.lower() == "of" and _content_word(words[i + 1]):
                run.append("of")  # "scroll of fireball" is one thing
                continue
            if run:
                position += 1
                size = min(len([w for w in run if w != "of"]), 3)
                score = size + (1.5 if after_determiner else 0) + position * 0.01
                if score > best[0]:
                    best = (score, run[-4:] if run[-4:][0] != "of" else run[-3:])
                run = []
    return " ".join(best[1])


def intent_of(text: str) -> str:
    """What the player is doing: ai, identity, farewell, greeting, trade, quest, where, request, question."""
    lowered = text.lower().strip()
    words = [w.lower() for w in split_words(lowered)]
    found = concepts(words)
    if re.search(
        r"\b(are you|you are|you're|r u)\s+(an?\s+)?(ai|bot|robot|machine|chatbot|llm|real|human)\b", lowered
    ):
        return "ai"
    if re.search(r"\bwhat are you\b|\blanguage model\b", lowered):
        return "ai"
    if re.search(
        r"\bwho are you\b|\byour name\b|\bwho (?:might|may) you be\b"
        r"|\bwho am i (?:speaking|talking) (?:with|to)\b",
        lowered,
    ):
        return "identity"
    if re.search(r"\b(bye|goodbye|farewell|see you|so long)\b", lowered):
        return "farewell"
    if (
        set(words[:3]) & {"hello", "hi", "hey", "greetings", "hail", "howdy", "yo", "morning"}
        and len(words) <= 6
    ):
        return "greeting"
    if "@trade" in found:
        return "trade"
    if "@quest" in found:
        return "quest"
    if re.match(r"where\b", lowered) or re.search(
        r"\bhow (?:do|can) i get to\b|\bwhere (?:is|are|can)\b", lowered
    ):
        return "where"
    if re.match(r"(can|could|will|would) you\b|please\b|i (need|want)\b", lowered) or re.search(
        r"\b(make|forge|give|craft|build|bring|sell|show) me\b", lowered
    ):
        return "request"
    if lowered.endswith("?") or (
        words and words[0] in {"what", "why", "how", "who", "when", "which", "is", "do"}
    ):
        return "question"
    return "statement"


# ------------------------------------------------------------------------------------------
# Game state


_STATE_HEADER = re.compile(r"^[ \t]*(?:#+[ \t]*)?game[ \t]+state[ \t]*:[ \t]*", re.IGNORECASE | re.MULTILINE)
_STATE_LINE = re.compile(r"^\s*[-*•]?\s*([A-Za-z_][\w .-]{0,60}?)\s*[:=]\s*(.+?)\s*$")


def split_state_section(system: str) -> tuple[str, dict[str, Any]]:
    """Cut a ``Game state:`` section (JSON or ``key: value`` lines) out of a system prompt.

    Returns the prompt without the section, so the state's words don't colour the persona, and
    the state itself.
    """
    match = _STATE_HEADER.search(system)
    if not match:
        return system, {}
    rest = system[match.end() :]
    stripped = rest.lstrip()
    if stripped.startswith("{"):
        try:
            state, used = json.JSONDecoder().raw_decode(stripped)
        except ValueError:
            state, used = None, 0
        if isinstance(state, dict):
            end = match.end() + (len(rest) - len(stripped)) + used
            return system[: match.start()] + system[end:], state
    state = {}
    consumed = 0
    lines = rest.split("\n")
    for line in lines:
        found = _STATE_LINE.match(line)
        if found:
            state[found.group(1).strip()] = _coerce(found.group(2))
        elif line.strip() or state:
            break  # prose, or a blank line after the entries, ends the section
        consumed += len(line) + 1
    return system[: match.start()] + rest[consumed:], state


def _coerce(raw: str) -> Any:
    raw = raw.strip().rstrip(",")
    try:
        value = json.loads(raw)
    except ValueError:
        return raw.strip("'\"")
    return value if isinstance(value, (int, float, bool, list, dict, str)) else raw


@dataclass(frozen=True)
class StateItem:
    """One game-state value as the NPC may say it: ``text`` is the value verbatim."""

    key: str
    text: str
    category: str
    is_list: bool = False

    @property
    def label(self) -> str:
        return " ".join(re.split(r"[_\W]+", self.key.replace(".", " "))).strip().lower()


_CATEGORIES: list[tuple[str, set[str], int]] = [
    ("time", {"time", "hour", "day", "night", "clock", "daytime"}, 3),
    (
        "reputation",
        {
            "reputation",
            "rep",
            "standing",
            "trust",
            "affinity",
            "favor",
            "favour",
            "relationship",
            "honor",
            "karma",
            "fame",
            "friendship",
        },
        3,
    ),
    ("quest", {"quest", "mission", "objective", "task", "progress", "stage", "chapter"}, 2),
    ("money", {"gold", "coins", "money", "coin", "silver", "currency", "wallet", "funds"}, 2),
    ("inventory", {"inventory", "items", "bag", "backpack", "equipment", "gear", "carrying"}, 2),
    ("location", {"location", "place", "region", "area", "zone", "town", "city", "scene", "biome"}, 2),
    ("weather", {"weather", "season", "climate"}, 2),
    ("health", {"health", "hp", "wounds", "injury"}, 1),
    ("mood", {"mood", "emotion", "attitude"}, 1),
]
_INTENT_BOOST = {"trade": {"money", "inventory"}, "quest": {"quest"}, "where": {"location"}}


def _flatten(state: Mapping[str, Any]) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in state.items():
        if isinstance(value, Mapping):
            out.extend((f"{key}.{sub}", v) for sub, v in value.items() if not isinstance(v, (Mapping, list)))
        else:
            out.append((str(key), value))
    return out


def _render(value: Any) -> tuple[str, bool] | None:
    if isinstance(value, bool) or value is None:
        return (json.dumps(value), False)
    if isinstance(value, (int, float, str)):
        text = str(value).strip()
        return (text, False) if text else None
    if isinstance(value, list):
        items = [str(v) for v in value if isinstance(v, (str, int, float)) and not isinstance(v, bool)][:3]
        if not items:
            return None
        joined = items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
        return (joined, True)
    return None


def state_items(state: Mapping[str, Any], user_words: Sequence[str], intent: str) -> list[StateItem]:
    """The state's values, most relevant to what the player said first."""
    wanted = concepts(user_words)
    ranked: list[tuple[float, int, StateItem]] = []
    for order, (key, value) in enumerate(_flatten(state)):
        rendered = _render(value)
        if rendered is None:
            continue
        text, is_list = rendered
        key_words = set(re.split(r"[_\W]+", key.lower())) - {""}
        category, prior = "generic", 0
        for name, members, weight in _CATEGORIES:
            if key_words & members:
                category, prior = name, weight
                break
        overlap = len(wanted & (concepts(key_words) | concepts(split_words(text))))
        score = 3 * overlap + prior + (2 if category in _INTENT_BOOST.get(intent, ()) else 0)
        if isinstance(value, bool) or value is None:
            score -= 3  # "true" is a poor thing to say aloud
        ranked.append((-score, order, StateItem(key, text, category, is_list)))
    ranked.sort(key=lambda r: (r[0], r[1]))
    return [item for _, _, item in ranked]
