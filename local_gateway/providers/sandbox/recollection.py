"""What the sandbox model remembers of the conversation it is in, and how it says so.

The model is stateless: everything it remembers is in the request. An NPC turn carries the
thread three ways — the newest messages word for word, the running summary (``What you remember
from earlier:``) and the memories recalled for this turn (``Memories that may matter now:``),
both sections of the system prompt written by the gateway's NPC memory layer. :func:`read` gathers
all three into one list of lines, oldest first, and finds in them:

- what the player said about themselves: name, class (or trade), goal;
- what the NPC has committed to: prices, bounties and rewards (sums of gold), and promised times;
- the topics the player raised.

:func:`respond` answers from that when the player asks for it back ("Do you remember my name?"),
asks a price or a promise again (the same figure as before; a first quote is a hash of the NPC
and the thing, so it is stable too), or asks what was talked about. Everything is a pure function
of the request, so the same thread and request give the same reply.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from local_gateway.providers.sandbox.text import (
    META,
    STOPWORDS,
    VERBS,
    message_text,
    split_words,
    stem,
    topic_of,
)

__all__ = ["Recollection", "acknowledge", "read", "respond"]

_SUMMARY_HEAD = "What you remember from earlier:"
_MEMORY_HEAD = "Memories that may matter now:"
_SPEAKER = re.compile(r"^\s*(?:-\s+)?([^:\n]{1,60}):\s+(.+)$")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")

_CLASSES_TEXT = """
    ranger paladin sellsword mercenary warrior fighter knight mage wizard sorcerer sorceress
    warlock witch necromancer rogue thief assassin cleric priest priestess monk druid bard hunter
    archer barbarian scout healer alchemist merchant trader sailor pirate smith blacksmith soldier
    guard squire shaman templar inquisitor bounty-hunter adventurer explorer scholar engineer
    artificer
"""
CLASSES = frozenset(_CLASSES_TEXT.split())
_SELF = r"(?:i am|i'm|im|i’m)"
_NAME_STATED = re.compile(
    rf"\b(?i:my name is|my name's|name's|call me|they call me|{_SELF})\s+([A-Z][a-z'-]{{1,20}})\b"
)
_NOT_NAMES_TEXT = """
    A An The Just Only Here Not So Very Really Sorry Fine Well Looking Searching Back Done Sure
"""
_NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split())
_GOAL_STATED = [
    re.compile(rf"\b{_SELF}\s+(?:here\s+)?(?:looking|searching|hunting)\s+for\s+([^.!?;,]+)", re.IGNORECASE),
    re.compile(
        rf"\b{_SELF}\s+(?:here\s+)?(?:to|trying to)\s+"
        r"(?:find|hunt|slay|kill|rescue|recover|seek)\s+([^.!?;,]+)",
        re.IGNORECASE,
    ),
    re.compile(rf"\b{_SELF}\s+(?:seeking|hunting|after|chasing)\s+([^.!?;,]+)", re.IGNORECASE),
    re.compile(r"\bmy (?:quest|goal|mission|task|purpose) is to \w+\s+([^.!?;,]+)", re.IGNORECASE),
    re.compile(
        r"\bi (?:seek|must find|need to find|want to find|came to find|came for)\s+([^.!?;,]+)", re.IGNORECASE
    ),
]

_ASK_NAME = re.compile(
    r"\bmy name\b|\bwho am i\b(?!\s+(?:speaking|talking))|\bcalled myself\b|\bwhat i(?:'m| am) called\b"
    r"|\bremember me\b|\bknow who i am\b",
    re.IGNORECASE,
)
_ASK_CLASS = re.compile(
    r"\bwhat am i\b|\bwhat i am\b|\bmy (?:trade|calling|class|profession|job|line of work|order|craft)\b"
    r"|\bwhat (?:do )?i do\b|\bfor a living\b|\bwhat kind of (?:fighter|warrior|person|adventurer)\b",
    re.IGNORECASE,
)
_ASK_GOAL = re.compile(
    r"\b(?:i'?m|am i|was i|i was|i am)\s+(?:\w+\s+)?(?:searching|looking|hunting|seeking|after|trying)\b"
    r"|\bwhy (?:did|have) i come\b|\bmy (?:quest|goal|mission|purpose)\b|\bi told you about\b"
    r"|\bwhat i (?:want|need|seek)\b",
    re.IGNORECASE,
)
_ASK_RECALL = re.compile(
    r"\b(?:remember|recall|remind|forget|forgot|again|told you|did i say)\b", re.IGNORECASE
)
_ASK_TOPICS = re.compile(
    r"\bwhat (?:did|have|else did) (?:i|we) (?:\w+ )?(?:ask|talk|speak|discuss|mention)\w*\b"
    r"|\bwhat were we (?:talking|speaking)\b",
    re.IGNORECASE,
)
_ASK_TIME = re.compile(r"\b(?:when|how long|how soon|ready|done|finished|until)\b", re.IGNORECASE)
_ASK_REWARD = re.compile(r"\b(?:bounty|reward|pay me|pay for|payment)\b", re.IGNORECASE)
_ASK_PRICE = re.compile(
    r"\b(?:how much|cost|costs|price|prices|priced|charge|toll|fee|cheaper|expensive|worth)\b", re.IGNORECASE
)

_GOLD = re.compile(r"\b(\d[\d,]*)\s*gold\b", re.IGNORECASE)
_TIMES = ("by dawn", "in three days", "in two days", "by the end of the week", "by nightfall tomorrow")
_TIME = re.compile(
    r"\b(by dawn|by dusk|by nightfall(?: tomorrow)?|by the end of the week"
    r"|in (?:\w+) days?|for (?:\w+) days?)\b",
    re.IGNORECASE,
)
# Words of the quote's own phrasing, not of the thing quoted.
_FIGURE_WORDS_TEXT = """
    gold dawn dusk nightfall tomorrow end week day days three two seven word price prices priced
    holds hold promised promise reward done still said cost costs charge much
"""
_FIGURE_WORDS = frozenset(_FIGURE_WORDS_TEXT.split())


@dataclass(frozen=True)
class Quote:
    """Something the NPC committed to: ``kind`` is price, reward or time; ``sentence`` says it."""

    kind: str
    subject: frozenset[str]
    figure: str
    sentence: str


@dataclass
class Recollection:
    facts: dict[str, str] = field(default_factory=dict)
    quotes: list[Quote] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    # What the player's previous line asked for (price, reward, time), so "What about a bow?" follows.
    previous_ask: str | None = None


def _lines(messages: Sequence[Mapping[str, Any]], npc_name: str | None) -> list[tuple[bool, str]]:
    """(said by the player?, text), oldest first: summary, recalled memories, then the messages."""
    out: list[tuple[bool, str]] = []
    own = (npc_name or "").lower()
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
    for message in messages:
        if message.get("role") not in ("system", "developer"):
            continue
        text = message_text(message)
        for head in (_SUMMARY_HEAD, _MEMORY_HEAD):
            start = text.find(head)
            if start < 0:
                continue
            section = text[start + len(head) :].split("\n\n", 1)[0]
            for raw in section.splitlines():
                found = _SPEAKER.match(raw)
                if not found or found.group(1).strip().lower() == "narration":
                    continue
                out.append((found.group(1).strip().lower() != own, found.group(2)))
    for i, message in enumerate(messages):
        role = message.get("role")
        if i == last_user or role not in ("user", "assistant"):
            continue
        text = message_text(message)
        if role == "user":
            found = _SPEAKER.match(text)  # a scene's "Name: words"
            text = found.group(2) if found and len(found.group(1).split()) <= 3 else text
        out.append((role == "user", text))
    return out


def _subject(text: str) -> frozenset[str]:
    words = re.findall(r"[a-z][a-z'-]+", text.lower())
    return frozenset(stem(w) for w in words if w not in STOPWORDS and w not in _FIGURE_WORDS and len(w) > 2)


def _said(sentence: str) -> str:
    return re.sub(r"^(?:As I said:\s*)+", "", sentence.strip())


def _quotes_in(text: str, asked: frozenset[str]) -> list[Quote]:
    """What the NPC committed to in ``text``, each about its sentence's words and the question's."""
    quotes = []
    for sentence in _SENTENCE.split(text):
        subject = _subject(sentence) | asked
        gold = _GOLD.search(sentence)
        if gold:
            kind = "reward" if _ASK_REWARD.search(sentence) else "price"
            quotes.append(Quote(kind, subject, f"{gold.group(1)} gold", _said(sentence)))
        time = _TIME.search(sentence)
        if time:
            quotes.append(Quote("time", subject, time.group(1).lower(), _said(sentence)))
    return quotes


def _facts_in(text: str, facts: dict[str, str]) -> None:
    for sentence in _SENTENCE.split(text):
        name = _NAME_STATED.search(sentence)
        if name and name.group(1) not in _NOT_NAMES:
            facts["name"] = name.group(1)
        lowered = sentence.lower()
        if re.search(rf"\b{_SELF}\b|\bname's\b|\bas an? \w+\b|\bi work as\b", lowered):
            cls = next((w for w in re.findall(r"[a-z-]+", lowered) if w in CLASSES), None)
            if cls:
                facts["class"] = cls
        for pattern in _GOAL_STATED:
            goal = pattern.search(sentence)
            if goal:
                facts["goal"] = _second_person(goal.group(1).strip())
                break


def _second_person(text: str) -> str:
    swaps = {"my": "your", "me": "you", "mine": "yours", "myself": "yourself", "i": "you"}
    return " ".join(swaps.get(w.lower(), w) for w in text.split())


def read(messages: Sequence[Mapping[str, Any]], npc_name: str | None) -> Recollection:
    memory = Recollection()
    asked: frozenset[str] = frozenset()
    for by_player, text in _lines(messages, npc_name):
        if by_player:
            asked = _subject(text)
            memory.previous_ask = _kind_asked(text.lower())
            _facts_in(text, memory.facts)
            if _raises_topic(text):
                topic = topic_of(text)
                if topic and topic not in memory.topics:
                    memory.topics.append(topic)
        else:
            memory.quotes.extend(_quotes_in(text, asked))
    return memory


_FOLLOW_UP = re.compile(r"\b(?:what|how) about\b|^\W*and\b", re.IGNORECASE)


def _kind_asked(lowered: str) -> str | None:
    for kind, pattern in (("time", _ASK_TIME), ("reward", _ASK_REWARD), ("price", _ASK_PRICE)):
        if pattern.search(lowered):
            return kind
    return None


def _raises_topic(text: str) -> bool:
    lowered = text.lower()
    if not ("?" in lowered or lowered.startswith("tell me about")):
        return False
    asks = (_ASK_TOPICS, _ASK_NAME, _ASK_CLASS, _ASK_GOAL, _ASK_TIME, _ASK_REWARD, _ASK_PRICE)
    return not any(p.search(lowered) for p in asks)


def _plural(thing: str) -> bool:
    """ "swords", "iron arrows" and "goods", not "brass" or "cuirass"."""
    last = thing.split()[-1].lower() if thing.split() else ""
    return last.endswith("s") and not last.endswith(("ss", "us")) and len(last) > 3


def _stable(seed: str, low: int, high: int) -> int:
    digest = hashlib.sha256(seed.encode()).digest()
    return low + int.from_bytes(digest[:8], "big") % (high - low + 1)


def _recall_quote(memory: Recollection, kind: str, subject: frozenset[str]) -> Quote | None:
    best: tuple[int, int, Quote] | None = None
    for order, quote in enumerate(memory.quotes):
        if quote.kind != kind:
            continue
        overlap = len(quote.subject & subject)
        if subject and not overlap:
            continue
        if best is None or (overlap, order) >= best[:2]:
            best = (overlap, order, quote)
    return best[2] if best else None


# Words that name what is paid rather than what is bought: "the toll" is the thing itself.
_PAID_TEXT = """
    toll fee fare rent tax tithe
"""
_PAID = frozenset(_PAID_TEXT.split())
_REWARD_WORDS_TEXT = """
    bounty reward payment pay
"""
_REWARD_WORDS = frozenset(_REWARD_WORDS_TEXT.split())
_NOT_THINGS_TEXT = """
    hold keep return enter pay charge say said point ready done cheaper same
"""
_NOT_THINGS = frozenset(_NOT_THINGS_TEXT.split())


def _thing(user_text: str, asked: re.Pattern[str], fallback: str) -> str:
    """What the question is about: the first noun phrase of the clause that asks, "the toll to enter
    the city" -> "toll", "a map of the northern marshes" -> "map of the northern marshes"."""
    clauses = [c for c in re.split(r"[.?!;,\n]+", user_text) if c.strip()]
    for clause in sorted(clauses, key=lambda c: asked.search(c) is None):
        words = split_words(clause)
        paid = next((w.lower() for w in words if w.lower() in _PAID), None)
        if paid:
            return paid
        run: list[str] = []
        for i, word in enumerate([*words, ""]):
            lowered = word.lower()
            content = bool(word) and not (
                lowered in STOPWORDS
                or lowered in VERBS
                or lowered in META
                or lowered in _NOT_THINGS
                or lowered in _REWARD_WORDS
                or lowered in _FIGURE_WORDS
                or word[0].isdigit()
                or (i == 0 and word[0].isupper() and lowered in {"what", "how", "is", "and"})
            )
            if content:
                run.append(lowered)
            elif run and lowered == "of" and i + 1 < len(words):
                run.append("of")
            elif run and lowered in ("the", "a", "an") and run[-1] == "of":
                continue
            elif run:
                while run and run[-1] == "of":
                    run.pop()
                return " ".join(run[:4]) if len(run) <= 4 else " ".join(run[-4:])
    topic = topic_of(user_text)
    return topic or fallback


def _asks(lowered: str) -> bool:
    return "?" in lowered or re.match(r"\W*(?:say|tell|remind|recall|name(?!'s))\b", lowered) is not None


def acknowledge(user_text: str) -> str | None:
    """The NPC repeats what the player just told about themselves: it is what it will remember."""
    facts: dict[str, str] = {}
    _facts_in(user_text, facts)
    parts = []
    if "name" in facts:
        parts.append(f"{facts['name']}, is it? I'll remember your name.")
    if "class" in facts:
        parts.append(f"A {facts['class']} by trade, then; that's how you earn your living.")
    if "goal" in facts:
        parts.append(f"So you're looking for {facts['goal']}.")
    return " ".join(parts) or None


def respond(user_text: str, memory: Recollection, npc: str) -> str | None:
    """A line from memory for what the player just said, or None when memory has nothing to add."""
    lowered = user_text.lower()
    facts = memory.facts
    if not _asks(lowered):
        return acknowledge(user_text)
    if _ASK_TOPICS.search(lowered):
        earlier = memory.topics[-4:]
        if not earlier:
            return "We've hardly talked about anything yet."
        earlier = [f"the {t}" for t in earlier]
        listed = earlier[0] if len(earlier) == 1 else ", ".join(earlier[:-1]) + " and " + earlier[-1]
        return f"Earlier you asked me about {listed}."
    if _ASK_NAME.search(lowered):
        if "name" in facts:
            return f"You're {facts['name']}; you told me so yourself."
        return "You never told me your name."
    if _ASK_GOAL.search(lowered) and (_ASK_RECALL.search(lowered) or "?" in lowered):
        if "goal" in facts:
            return f"You're after {facts['goal']}, or so you told me."
        return "You never said what you're after."
    if _ASK_CLASS.search(lowered):
        if "class" in facts:
            return f"You're a {facts['class']}; you said so yourself."
        return "You never told me what you do."
    subject = _subject(user_text)
    kind_asked = _kind_asked(lowered)
    follow_up = None
    if kind_asked is None and _FOLLOW_UP.search(lowered):
        kind_asked = follow_up = memory.previous_ask  # "That's steep. What about a hunting bow?"
    for kind, asked in (("time", _ASK_TIME), ("reward", _ASK_REWARD), ("price", _ASK_PRICE)):
        if kind != kind_asked:
            continue
        asked = _FOLLOW_UP if follow_up else asked
        quote = _recall_quote(memory, kind, subject)
        if quote is not None:
            return f"As I said: {quote.sentence}"
        if kind == "price" and not subject:
            return None
        thing = _thing(user_text, asked, "job" if kind != "price" else "goods")
        if kind == "time":
            figure = _TIMES[_stable(f"{npc}|time|{thing}", 0, len(_TIMES) - 1)]
            return f"You have my word on the {thing}: {figure}."
        if kind == "reward":
            return f"The bounty on the {thing} is {_stable(f'{npc}|reward|{thing}', 5, 60) * 10} gold."
        gold = _stable(f"{npc}|price|{thing}", 3, 250)
        if _plural(thing):
            each = "" if thing == "goods" else " apiece"
            return f"The {thing} are {gold} gold{each}, and that price holds."
        return f"The {thing} is {gold} gold, and that price holds."
    # A thing the NPC priced before, asked about without a price word ("Is the toll still the same?").
    if subject:
        quote = _recall_quote(memory, "price", subject)
        if quote is not None:
            return f"As I said: {quote.sentence}"
    return None
