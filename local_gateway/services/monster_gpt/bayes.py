"""A multinomial naive Bayes model of the disciplines, learned from their files at start-up.

The keyword index (:mod:`term_index`) is precise but only knows the words it lists. This model
is the paraphrase-tolerant layer beside it: it learns word, word-pair and character 4-gram
statistics from each discipline's ``prototypes`` (plain sentences about the problems the craft
solves), description, examples, name, system prompt and keywords, so a question that describes a
symptom ("feet go through the steps") still lands near the craft that fixes it, and a typo or an
unlisted inflection still shares most of its character 4-grams with the right word.

Nothing here reads an evaluation set. Training takes about 0.2 s; scoring is a sparse sum
over the prompt's features, about 50 microseconds. Training also leaves some 20 MiB of a
process's heap fragmented (its transient counts interleave with the features it keeps), while
loading the finished model costs 4 MiB: so the model is kept on disk (:func:`cached`), keyed
by its training texts and this code, and a process trains only when that cache is missing.
"""

from __future__ import annotations

import hashlib
import logging
import math
from array import array
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from local_gateway.services.monster_gpt import term_index
from local_gateway.services.monster_gpt.cache_files import pack_rows, read_checked, unpack_rows, write_checked
from local_gateway.services.monster_gpt.disciplines import Discipline
from local_gateway.services.monster_gpt.term_index import NEUTRAL, STOPWORDS, context_words, stem, words

log = logging.getLogger(__name__)

# Additive (Lidstone) smoothing. Small, because the training text is short and specific: a word
# seen once in a discipline's prose should count clearly more than a word it never mentions.
ALPHA = 0.03
# Character 4-grams tolerate typos and unlisted word forms but say less than a whole word; each
# 4-gram counts this fraction of a word.
CHAR_WEIGHT = 0.2
CHAR_N = 4
# Training weight of each kind of text. Keywords are single terms rather than sentences, graded
# like the keyword index; the system prompt is long and partly about answering style.
PROSE_WEIGHT = 1.0
SYSTEM_PROMPT_WEIGHT = 0.5
KEYWORD_WEIGHT = {"core": 1.5, "strong": 1.0, "medium": 0.5, "weak": 0.25}
# 2: the payload carries its checksum (a flipped byte used to load as a wrong weight).
CACHE_FORMAT = "mg-bayes-2"
CACHE_FILE = "monster_gpt_bayes.bin"


def features(text: str, asked: bool = False) -> dict[str, float]:
    """Counted features of ``text``: content-word stems, adjacent stem pairs and char 4-grams.

    With ``asked`` (a prompt, not training text), words inside a context phrase ("for our level
    editor") count at :data:`~term_index.CONTEXT_FACTOR`: the question is about its ask."""
    if asked:
        raw, mentioned = context_words(text)
    else:
        raw, mentioned = words(text), None
    content: list[str] = []
    scale: list[float] = []
    for i, w in enumerate(raw):
        if w not in STOPWORDS and w not in NEUTRAL and len(w) > 1 and not w.isdigit():
            content.append(w)
            scale.append(term_index.CONTEXT_FACTOR if mentioned and mentioned[i] else 1.0)
    stems = [stem(w) for w in content]
    # Weighted counts (character grams weigh CHAR_WEIGHT each), so floats rather than a Counter.
    found: defaultdict[str, float] = defaultdict(float)
    for word_stem, k in zip(stems, scale, strict=True):
        found[word_stem] += k
    for (left, right), pair in zip(pairwise(stems), pairwise(scale), strict=False):
        found[f"{left}_{right}"] += min(pair)
    for word, k in zip(content, scale, strict=True):
        padded = f"<{word}>"
        for i in range(len(padded) - CHAR_N + 1):
            found["#" + padded[i : i + CHAR_N]] += CHAR_WEIGHT * k
    return found


def training_texts(d: Discipline) -> Iterable[tuple[str, float]]:
    """``(text, weight)`` pairs the model learns ``d`` from; never an evaluation question."""
    for text in (*d.prototypes, d.description, *d.examples, f"{d.name} {d.specialist}"):
        yield text, PROSE_WEIGHT
    for line in d.system_prompt.splitlines():
        yield line, SYSTEM_PROMPT_WEIGHT
    for grade, listed in d.keywords.items():
        for keyword in listed:
            yield keyword, KEYWORD_WEIGHT[grade]


@dataclass(frozen=True)
class BayesModel:
    """Log-likelihoods stored sparsely: a per-discipline floor plus, per feature, the lift over it.

    The lifts sit in flat arrays rather than a tuple of ``(index, value)`` tuples per feature:
    the same doubles, summed in the same order, in about a third of the memory (tens of
    thousands of features times the disciplines that saw each one were some 18 MiB of a
    gateway's RSS as Python tuples and floats).
    """

    ids: tuple[str, ...]
    # log P(unseen feature | discipline), the smoothed floor every feature starts from.
    floor: tuple[float, ...]
    # feature -> its row; row r's entries are positions starts[r] to starts[r + 1] of
    # ``indexes`` (discipline index) and ``values`` (log P(feature | d) - floor[d]), only where
    # d saw the feature, in discipline order.
    rows: Mapping[str, int]
    starts: array[int]
    indexes: bytes
    values: array[float]

    def log_scores(self, text: str) -> tuple[list[float], float]:
        """Per-discipline log-likelihood of ``text`` (in :attr:`ids` order) and how much of
        the prompt the model knew (total count of known features; 0 means no evidence)."""
        scores = [0.0] * len(self.ids)
        known = 0.0
        rows, starts, indexes, values = self.rows, self.starts, self.indexes, self.values
        for feature, count in features(text, asked=True).items():
            row = rows.get(feature)
            if row is None:
                continue  # unknown to every discipline: the same floor for all, no information
            known += count
            for k in range(starts[row], starts[row + 1]):
                scores[indexes[k]] += values[k] * count
        if known:
            floor = self.floor
            scores = [s + f * known for s, f in zip(scores, floor, strict=True)]
        return scores, known

    def posterior(self, text: str, temperature: float) -> tuple[list[float], float]:
        """Softmax of :meth:`log_scores` at ``temperature`` (uniform when nothing is known)."""
        scores, known = self.log_scores(text)
        top = max(scores)
        exps = [math.exp((s - top) / temperature) for s in scores]
        total = sum(exps)
        return [e / total for e in exps], known


def train(disciplines: Mapping[str, Discipline]) -> BayesModel:
    """Fit the model on every discipline's own files (deterministic: sorted ids, no randomness)."""
    ids = tuple(sorted(disciplines))
    counts: list[defaultdict[str, float]] = []
    for disc in ids:
        found: defaultdict[str, float] = defaultdict(float)
        for text, weight in training_texts(disciplines[disc]):
            for feature, n in features(text).items():
                found[feature] += n * weight
        counts.append(found)
    vocabulary = set().union(*counts)
    size = len(vocabulary)
    denominators = [sum(c.values()) + ALPHA * size for c in counts]
    floor = tuple(math.log(ALPHA / den) for den in denominators)
    lift: dict[str, list[tuple[int, float]]] = {}
    for index, found in enumerate(counts):
        for feature in sorted(found):
            value = math.log((found[feature] + ALPHA) / denominators[index]) - floor[index]
            lift.setdefault(feature, []).append((index, value))
    if len(ids) > 256:
        raise ValueError(f"{len(ids)} disciplines: discipline indexes are stored as bytes (at most 256)")
    rows: dict[str, int] = {}
    starts = array("L", [0])
    indexes = bytearray()
    values = array("d")
    for feature, entries in lift.items():
        rows[feature] = len(rows)
        for index, value in entries:
            indexes.append(index)
            values.append(value)
        starts.append(len(values))
    return BayesModel(ids=ids, floor=floor, rows=rows, starts=starts, indexes=bytes(indexes), values=values)


def cached(disciplines: Mapping[str, Discipline], cache_dir: Path) -> BayesModel:
    """The model of ``disciplines``: read from ``cache_dir`` when a previous process trained it
    on the same texts with the same code, else trained here and written there for the next."""
    path, key = cache_dir / CACHE_FILE, _cache_key(disciplines)
    try:
        payload = read_checked(path, key)
        if payload is not None:
            return loads(payload)
    except (OSError, ValueError, KeyError, TypeError) as exc:  # damaged or foreign: only a shortcut
        log.warning("ignoring Monster-GPT's model cache %s: %s", path, exc)
    model = train(disciplines)
    write_checked(path, key, dumps(model), "model cache")
    return model


def _cache_key(disciplines: Mapping[str, Discipline]) -> bytes:
    # The texts learnt from and the code that turns them into features and weights: a change
    # to either makes another model, so either makes another key.
    digest = hashlib.sha256(CACHE_FORMAT.encode())
    for module in (__file__, term_index.__file__):
        digest.update(Path(module).read_bytes())
    for disc in sorted(disciplines):
        digest.update(f"\1{disc}".encode())
        for text, weight in training_texts(disciplines[disc]):
            digest.update(f"\0{weight}\0{text}".encode())
    return digest.hexdigest().encode() + b"\n"


def dumps(model: BayesModel) -> bytes:
    """``model`` as bytes for :func:`loads`."""
    head = {"ids": model.ids, "floor": model.floor, "features": list(model.rows)}
    return pack_rows(head, model.starts, model.indexes, model.values)


def loads(data: bytes) -> BayesModel:
    """The model :func:`dumps` wrote; only the final arrays and one string per feature are made."""
    head, starts, indexes, values = unpack_rows(data, "model")
    rows = {feature: row for row, feature in enumerate(head["features"])}
    return BayesModel(
        ids=tuple(head["ids"]),
        floor=tuple(head["floor"]),
        rows=rows,
        starts=starts,
        indexes=indexes,
        values=values,
    )
