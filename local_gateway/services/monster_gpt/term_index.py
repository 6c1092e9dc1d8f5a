"""Text normalisation and the term -> discipline weight index behind Monster-GPT's classifier.

Keywords and prompts pass through the same :func:`terms` so that ``"Shaders"``, ``"shader"``
and ``"shading"`` meet on one stem, and multi-word phrases (``"level design"``,
``"goal oriented action planning"``) are matched as one term before their words are.

Building the index stems every word of every discipline's prose (some 0.1 s, and it fills the
stemmer's memo with words no prompt may ever use); the finished index is a few thousand terms in
flat arrays. So, like the Bayes model, it is kept in the cache directory (:func:`cached`), keyed
by the discipline texts and this code, and a process builds it only when that file is missing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from local_gateway.services.monster_gpt.cache_files import pack_rows, read_checked, unpack_rows, write_checked
from local_gateway.services.monster_gpt.disciplines import Discipline

log = logging.getLogger(__name__)

# Weight of a keyword by grade. A core term names the craft itself and outweighs the objects a
# question happens to mention; a strong term alone decides a discipline; weak ones only tip it.
GRADE_WEIGHT = {"core": 4.5, "strong": 3.0, "medium": 1.5, "weak": 0.6}
# A matched multi-word phrase is more specific than any of its words: +25% per extra word.
PHRASE_BONUS = 0.25
MAX_PHRASE_FACTOR = 1.5
# Words from a discipline's name and specialist title are solid evidence; words from its
# description, examples and system prompt are noisier, so they count less and less the more
# disciplines share them.
TITLE_WEIGHT = 1.0
PROSE_WEIGHT = 0.4
# A word that is not indexed but shares most of its stem with a single-word term ("fragmenting"
# and "fragmentation", "randomly" and "random") counts at this fraction of that term's weight.
PREFIX_FACTOR = 0.5
PREFIX_MIN = 5
PREFIX_COVER = 0.6
MAX_PHRASE = 5
CACHE_FORMAT = "mg-terms-1"
CACHE_FILE = "monster_gpt_terms.bin"

# Symbols that carry meaning in game-dev text, rewritten before punctuation is dropped.
_SYMBOLS = (
    ("c++", " cpp "),
    ("c#", " csharp "),
    ("f#", " fsharp "),
    ("a*", " astar "),
    (".net", " dotnet "),
    ("a/b", " ab "),
    ("ci/cd", " ci cd "),
    ("i/o", " io "),
    ("ui/ux", " ui ux "),
    ("'s ", " "),
    ("’s ", " "),
)
_WORD = re.compile(r"[a-z0-9]+")
# Clause boundaries for the context rule: punctuation, and a full stop only before a space (so
# ".net" and "v1.2" stay whole).
_CLAUSE = re.compile(r"[,;:!?()\[\]\n]|\.(?=\s|$)")
# "20fps", "16ms", "8gb": a number glued to a unit; the unit is the word that carries meaning.
_NUMBER_UNIT = re.compile(r"^[0-9]+([a-z]{2,})$")

# Words too common to say anything about a craft. Only prose is filtered by them; keywords and
# prompts keep every word so that phrases such as "level of detail" still match.
# fmt: off
STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "can", "could", "do", "does",
    "doing", "did", "for", "from", "had", "has", "have", "how", "i", "if", "in", "into", "is", "it",
    "its", "it's", "me", "my", "no", "not", "of", "on", "or", "our", "out", "so", "some", "such",
    "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those", "to",
    "too", "up", "us", "was", "we", "were", "what", "when", "where", "which", "while", "who", "why",
    "will", "with", "would", "you", "your", "yours", "just", "get", "got", "any", "all", "also",
    "more", "most", "much", "very", "really", "should", "want", "need", "make", "making", "made",
    "use", "using", "used", "like", "one", "two", "way", "ways", "thing", "things", "something",
    "anyone", "someone", "best", "good", "better", "new", "help", "game", "games", "player", "players",
    "dev", "devs", "developer", "developers", "work", "working", "works", "question", "questions",
    "ask", "try", "trying", "tried", "know", "let", "lets", "around", "about", "over", "under",
    "between", "each", "other", "same", "different", "here", "still", "even", "only", "ever", "every",
    "own", "both", "few", "many", "after", "before", "during", "again", "further", "once", "cant",
    "can't", "don't", "dont", "doesnt", "doesn't", "im", "i'm", "ive", "i've", "youre", "isnt",
})
# fmt: on


# What a question ASKS about outweighs what it merely MENTIONS: in "documentation for our level
# editor" the ask is documentation and the editor is only where it lives. A context phrase opens
# with one of CONTEXT_OPENERS followed by one of CONTEXT_OWNERS ("for our", "in my", "with a",
# "on the"), once its clause has named something, and runs for up to CONTEXT_MAX words, to the
# end of the clause, or to one of CONTEXT_ENDS, whichever comes first. Terms matched inside it
# count at CONTEXT_FACTOR of their weight, in the keyword index and in the Bayes model alike.
# 0.5 was chosen on the tuning sets only (0.3-0.7 score within three questions of it).
CONTEXT_FACTOR = 0.5
CONTEXT_MAX = 5
CONTEXT_OPENERS = frozenset({"for", "in", "inside", "within", "with", "on", "using"})
CONTEXT_OWNERS = frozenset({"our", "my", "their", "your", "his", "her", "a", "an", "the", "this"})
# fmt: off
CONTEXT_ENDS = frozenset({
    "and", "but", "so", "because", "since", "how", "what", "when", "why", "where", "which", "that",
    "to", "or", "i", "we", "it", "is", "are", "was", "should", "can", "could", "would", "do", "does",
    "if", "while", "then", "for", "in", "with", "on", "using", "inside", "within",
})
# fmt: on

# Engine names say which engine, not which craft: every discipline's prose mentions them. Words
# about who asks ("an indie team", "solo dev") are the same kind of context: any craft's
# question can carry them, so prose that happens to use them must not pull a prompt its way.
# fmt: off
NEUTRAL = frozenset({
    "unity", "unreal", "ue4", "ue5", "godot", "bevy", "gamemaker", "engine", "engines", "blueprint",
    "blueprints", "cpp", "csharp", "indie", "solo",
})
# fmt: on


def _is_consonant(word: str, i: int) -> bool:
    ch = word[i]
    if ch in "aeiou":
        return False
    if ch == "y":
        return i == 0 or not _is_consonant(word, i - 1)
    return True


def _measure(word: str) -> int:
    """Porter's m: the number of vowel-consonant sequences in ``word``."""
    m, prev_vowel = 0, False
    for i in range(len(word)):
        vowel = not _is_consonant(word, i)
        if prev_vowel and not vowel:
            m += 1
        prev_vowel = vowel
    return m


def _short_cvc(word: str) -> bool:
    """Ends consonant-vowel-consonant (last not w, x, y): "bak" -> "bake", "mod" -> "mode"."""
    return (
        len(word) >= 3
        and _is_consonant(word, -3 % len(word))
        and not _is_consonant(word, len(word) - 2)
        and _is_consonant(word, len(word) - 1)
        and word[-1] not in "wxy"
    )


# Prompts repeat the same few thousand words; the stemmer is pure, so remember its answers.
@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A Porter-style light stemmer: plurals, -ing, -ed and a final -e.

    Not linguistics, just enough that inflections of one term meet ("baking" and "bake",
    "rigging" and "rig", "tiles" and "tiling") while distinct words stay apart ("mode" vs
    "mods", "plane" vs "planning"). Applied identically to keywords and prompts.
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if not word.endswith(suffix) or word.endswith("eed"):
            continue
        base = word[: -len(suffix)]
        if len(base) < 2 or all(_is_consonant(base, i) for i in range(len(base))):
            break
        if base.endswith(("at", "bl", "iz")):
            base += "e"
        elif (
            len(base) > 3
            and base[-1] == base[-2]
            and base[-1] not in "lsz"
            and _is_consonant(base, len(base) - 1)
        ):
            base = base[:-1]
        elif _measure(base) == 1 and _short_cvc(base):
            base += "e"
        word = base
        break
    if word.endswith("e") and len(word) > 3:
        base = word[:-1]
        m = _measure(base)
        if m > 1 or (m == 1 and not _short_cvc(base)):
            word = base
    return word


def words(text: str) -> list[str]:
    """Lower-cased word tokens of ``text`` with game-dev symbols (C++, C#, A*) kept as words."""
    low = text.lower()
    for sym, rep in _SYMBOLS:
        if sym in low:
            low = low.replace(sym, rep)
    out = _WORD.findall(low)
    for i, tok in enumerate(out):
        if tok[0].isdigit():
            m = _NUMBER_UNIT.match(tok)
            if m:
                out[i] = m.group(1)
    return out


def context_words(text: str) -> tuple[list[str], list[bool]]:
    """:func:`words` of ``text`` and, for each, whether it sits in a context phrase (see
    :data:`CONTEXT_OPENERS`): "for our level editor", "in my Unity project", "with a small team"."""
    out: list[str] = []
    flags: list[bool] = []
    for clause in _CLAUSE.split(text):
        toks = words(clause)
        inside = 0
        # The ask comes first: a phrase only counts as context once its clause has named
        # something ("what should be in the documentation for our editor": the first "in the"
        # holds the ask, "for our" the mention).
        asked = False
        for i, tok in enumerate(toks):
            if inside and tok in CONTEXT_ENDS:
                inside = 0
            if (
                asked
                and not inside
                and tok in CONTEXT_OPENERS
                and i + 1 < len(toks)
                and toks[i + 1] in CONTEXT_OWNERS
            ):
                inside = CONTEXT_MAX + 2  # the opener, its owner, then up to CONTEXT_MAX words
            out.append(tok)
            flags.append(inside > 0)
            asked = asked or (not inside and tok not in STOPWORDS and tok not in NEUTRAL)
            inside = max(0, inside - 1)
    return out, flags


def terms(text: str) -> list[str]:
    """Stemmed tokens of ``text``: the unit both the index and the prompts are expressed in."""
    return [stem(w) for w in words(text)]


@dataclass(frozen=True)
class TermIndex:
    """Maps a term (one stem, or stems joined by spaces for a phrase) to discipline weights.

    The weights sit in flat arrays rather than a dict per term (some 7,500 terms, each a small
    dict of floats, were about 2 MiB of a gateway's heap): row ``rows[term]`` is positions
    ``starts[row]`` to ``starts[row + 1]`` of ``indexes`` (position in :attr:`ids`) and
    ``values`` (the weight), in the order the build put them in.
    """

    ids: tuple[str, ...]
    rows: Mapping[str, int]
    starts: array[int]
    indexes: bytes
    values: array[float]
    # First stems of indexed phrases, so most tokens skip the phrase look-ups entirely.
    phrase_starts: Mapping[str, int]
    # Single-word terms by their first PREFIX_MIN letters, for near-miss inflections.
    prefixes: Mapping[str, tuple[str, ...]]

    @property
    def weights(self) -> dict[str, dict[str, float]]:
        """Every term's ``{discipline: weight}`` (built on demand, for inspection and tests)."""
        return {term: self._weights(row) for term, row in self.rows.items()}

    def _weights(self, row: int) -> dict[str, float]:
        ids, indexes, values = self.ids, self.indexes, self.values
        return {ids[indexes[k]]: values[k] for k in range(self.starts[row], self.starts[row + 1])}

    def match(self, text: str) -> dict[str, dict[str, float]]:
        """Indexed terms found in ``text`` with their weight, grouped by discipline.

        Each distinct term counts once. The longest phrase wins at each position and consumes
        its words, so "level design" does not also count as "design". Two adjacent words are
        also tried closed up ("light map" -> "lightmap", "anti cheat" -> "anticheat"), and a
        word not in the index may still count, at a discount, through a single-word term that
        it shares most of its stem with.
        """
        raw, mentioned = context_words(text)
        toks = [stem(w) for w in raw]
        found: dict[str, float] = {}

        def put(term: str, at: int, factor: float = 1.0) -> None:
            if mentioned[at]:
                factor *= CONTEXT_FACTOR
            if factor > found.get(term, 0.0):
                found[term] = factor

        weights = self.rows
        i, n = 0, len(toks)
        while i < n:
            tok = toks[i]
            step = 0
            longest = self.phrase_starts.get(tok, 0)
            for k in range(min(longest, n - i), 1, -1):
                key = " ".join(toks[i : i + k])
                if key in weights:
                    put(key, i)
                    step = k
                    break
            if not step and i + 1 < n:
                closed = stem(raw[i] + raw[i + 1])
                if closed in weights:
                    put(closed, i)
                    step = 2
            if not step:
                if tok in weights:
                    put(tok, i)
                else:
                    near = self._near(tok)
                    if near:
                        put(near, i, PREFIX_FACTOR)
                step = 1
            i += step
        by_disc: dict[str, dict[str, float]] = {}
        ids, starts, indexes, values = self.ids, self.starts, self.indexes, self.values
        for term, factor in found.items():
            row = weights[term]
            for k in range(starts[row], starts[row + 1]):
                by_disc.setdefault(ids[indexes[k]], {})[term] = values[k] * factor
        return by_disc

    def _near(self, tok: str) -> str | None:
        if len(tok) < PREFIX_MIN:
            return None
        best: str | None = None
        for term in self.prefixes.get(tok[:PREFIX_MIN], ()):
            short, long_ = (tok, term) if len(tok) <= len(term) else (term, tok)
            if not long_.startswith(short) or len(short) < PREFIX_COVER * len(long_):
                continue
            # Deterministic choice: the closest length, then alphabetical.
            if best is None or (abs(len(term) - len(tok)), term) < (abs(len(best) - len(tok)), best):
                best = term
        return best


def _phrase(text: str) -> str:
    return " ".join(terms(text))


def build_index(disciplines: Mapping[str, Discipline]) -> TermIndex:
    """Compile every discipline's keywords and prose into one :class:`TermIndex`."""
    weights: dict[str, dict[str, float]] = {}

    def put(term: str, disc: str, weight: float) -> None:
        slot = weights.setdefault(term, {})
        # A term listed twice for one discipline (keyword and prose) keeps its best weight.
        if weight > slot.get(disc, 0.0):
            slot[disc] = weight

    for d in disciplines.values():
        for grade, listed in d.keywords.items():
            for kw in listed:
                term = _phrase(kw)
                if term:
                    extra = PHRASE_BONUS * term.count(" ")
                    put(term, d.id, GRADE_WEIGHT[grade] * min(MAX_PHRASE_FACTOR, 1 + extra))

    prose = {d.id: _prose_terms(d) for d in disciplines.values()}
    spread: dict[str, int] = {}
    for found in prose.values():
        for term in found:
            spread[term] = spread.get(term, 0) + 1
    total = len(disciplines)
    for d in disciplines.values():
        for term in _title_terms(d):
            put(term, d.id, TITLE_WEIGHT)
        for term in prose[d.id]:
            idf = math.log(1 + total / spread[term]) / math.log(1 + total)
            put(term, d.id, PROSE_WEIGHT * idf)

    ids = tuple(disciplines)
    if len(ids) > 256:
        raise ValueError(f"{len(ids)} disciplines: discipline indexes are stored as bytes (at most 256)")
    position = {disc: i for i, disc in enumerate(ids)}
    starts = array("L", [0])
    indexes = bytearray()
    values = array("d")
    for slot in weights.values():
        for disc, weight in slot.items():
            indexes.append(position[disc])
            values.append(weight)
        starts.append(len(values))
    return _index(ids, list(weights), starts, bytes(indexes), values)


def _index(
    ids: tuple[str, ...], terms: list[str], starts: array[int], indexes: bytes, values: array[float]
) -> TermIndex:
    """The index of ``terms`` (in row order) and their weights, with its look-up tables."""
    phrase_starts: dict[str, int] = {}
    prefixes: dict[str, list[str]] = {}
    for term in terms:
        parts = term.split(" ")
        if len(parts) > 1:
            parts = parts[:MAX_PHRASE]
            phrase_starts[parts[0]] = max(phrase_starts.get(parts[0], 0), len(parts))
        elif len(term) >= PREFIX_MIN and term.isalpha():
            prefixes.setdefault(term[:PREFIX_MIN], []).append(term)
    return TermIndex(
        ids=ids,
        rows={term: row for row, term in enumerate(terms)},
        starts=starts,
        indexes=indexes,
        values=values,
        phrase_starts=phrase_starts,
        prefixes={k: tuple(sorted(v)) for k, v in prefixes.items()},
    )


def cached(disciplines: Mapping[str, Discipline], cache_dir: Path) -> TermIndex:
    """The index of ``disciplines``: read from ``cache_dir`` when a previous process built it
    from the same texts with the same code, else built here and written there for the next."""
    path, key = cache_dir / CACHE_FILE, _cache_key(disciplines)
    try:
        payload = read_checked(path, key)
        if payload is not None:
            return loads(payload)
    except (OSError, ValueError, KeyError, TypeError) as exc:  # damaged or foreign: only a shortcut
        log.warning("ignoring Monster-GPT's term index cache %s: %s", path, exc)
    index = build_index(disciplines)
    write_checked(path, key, dumps(index), "term index cache")
    return index


def _cache_key(disciplines: Mapping[str, Discipline]) -> bytes:
    # The texts the index is built from, in build order, and the code that builds it.
    digest = hashlib.sha256(CACHE_FORMAT.encode())
    digest.update(Path(__file__).read_bytes())
    for d in disciplines.values():
        texts: list[object] = [d.id, d.name, d.specialist, d.description, list(d.examples), d.system_prompt]
        texts.append([[grade, list(listed)] for grade, listed in d.keywords.items()])
        digest.update(json.dumps(texts).encode() + b"\0")
    return digest.hexdigest().encode() + b"\n"


def dumps(index: TermIndex) -> bytes:
    """``index`` as bytes for :func:`loads` (its look-up tables are derived again on load)."""
    return pack_rows({"ids": index.ids, "terms": list(index.rows)}, index.starts, index.indexes, index.values)


def loads(data: bytes) -> TermIndex:
    """The index :func:`dumps` wrote."""
    head, starts, indexes, values = unpack_rows(data, "term index")
    ids, terms = tuple(head["ids"]), list(head["terms"])
    if len(starts) != len(terms) + 1 or starts[-1] != len(values) or len(values) != len(indexes):
        raise ValueError("inconsistent term index")
    return _index(ids, terms, starts, indexes, values)


def _content(tokens: Iterable[str]) -> set[str]:
    return {
        stem(w) for w in tokens if w not in STOPWORDS and w not in NEUTRAL and len(w) > 1 and not w.isdigit()
    }


def _title_terms(d: Discipline) -> set[str]:
    return _content(words(f"{d.name} {d.specialist} {d.id.replace('_', ' ')}"))


def _prose_terms(d: Discipline) -> set[str]:
    # The system prompt is the specialist's own account of the craft: tools, concepts, habits.
    return _content(words(" ".join((d.description, *d.examples, d.system_prompt))))
