"""A multinomial naive Bayes model of the disciplines, learned from their files at start-up.

The keyword index (:mod:`term_index`) is precise but only knows the words it lists. This model
is the paraphrase-tolerant layer beside it: it learns word, word-pair and character 4-gram
statistics from each discipline's ``prototypes`` (plain sentences about the problems the craft
solves), description, examples, name, system prompt and keywords, so a question that describes a
symptom ("feet go through the steps") still lands near the craft that fixes it, and a typo or an
unlisted inflection still shares most of its character 4-grams with the right word.

Nothing here reads an evaluation set. Training takes about 0.2 s and runs once per
process; scoring is a sparse sum over the prompt's features, about 50 microseconds.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise

from local_gateway.services.monster_gpt.disciplines import Discipline
from local_gateway.services.monster_gpt.term_index import NEUTRAL, STOPWORDS, stem, words

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


def features(text: str) -> dict[str, float]:
    """Counted features of ``text``: content-word stems, adjacent stem pairs and char 4-grams."""
    content = [
        w for w in words(text) if w not in STOPWORDS and w not in NEUTRAL and len(w) > 1 and not w.isdigit()
    ]
    stems = [stem(w) for w in content]
    # Weighted counts (character grams weigh CHAR_WEIGHT each), so floats rather than a Counter.
    found: defaultdict[str, float] = defaultdict(float)
    for word_stem in stems:
        found[word_stem] += 1
    for left, right in pairwise(stems):
        found[f"{left}_{right}"] += 1
    for word in content:
        padded = f"<{word}>"
        for i in range(len(padded) - CHAR_N + 1):
            found["#" + padded[i : i + CHAR_N]] += CHAR_WEIGHT
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
    """Log-likelihoods stored sparsely: a per-discipline floor plus, per feature, the lift over it."""

    ids: tuple[str, ...]
    # log P(unseen feature | discipline), the smoothed floor every feature starts from.
    floor: tuple[float, ...]
    # feature -> ((discipline index, log P(feature | d) - floor[d]), ...), only where d saw it.
    lift: Mapping[str, tuple[tuple[int, float], ...]]

    def log_scores(self, text: str) -> tuple[list[float], float]:
        """Per-discipline log-likelihood of ``text`` (in :attr:`ids` order) and how much of
        the prompt the model knew (total count of known features; 0 means no evidence)."""
        scores = [0.0] * len(self.ids)
        known = 0.0
        lift = self.lift
        for feature, count in features(text).items():
            entries = lift.get(feature)
            if entries is None:
                continue  # unknown to every discipline: the same floor for all, no information
            known += count
            for index, value in entries:
                scores[index] += value * count
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
    return BayesModel(ids=ids, floor=floor, lift={f: tuple(v) for f, v in lift.items()})
