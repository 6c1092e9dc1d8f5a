"""Monster-GPT: pick the game-development specialist for a prompt and the model that serves it.

:func:`classify` is local and deterministic. Every discipline's score is the sum of up to three
layers, all learned from the discipline files alone:

1. the keyword index (:mod:`term_index`): graded keywords and phrases, precise and explainable;
2. a naive Bayes model (:mod:`discipline_bayes`) over words, word pairs and character 4-grams of
   the prototypes, descriptions, examples and keywords, which tolerates paraphrase and typos;
   its posterior, scaled by :data:`BAYES_WEIGHT`, is added to the keyword score;
3. only when those two leave a close call (margin below :data:`SEMANTIC_MARGIN`) and the caller
   passes a ready :class:`~local_gateway.services.monster_gpt.semantic.SemanticLayer` (the app
   builds one on its MiniLM embedder): sentence-embedding similarity to each discipline's
   closest texts, as a softmax scaled by :data:`SEMANTIC_WEIGHT`.

In both lexical layers, what a question asks outweighs what it only mentions: words in a
context phrase after the ask ("documentation *for our level editor*", "profiling *in my
dungeon generator*") count half (:data:`~term_index.CONTEXT_FACTOR`, see
:func:`~term_index.context_words`). The semantic layer embeds the whole prompt.

The prompt falls back to ``general`` when no discipline reaches :data:`THRESHOLD`.
``Classification.method`` says whether the semantic layer took part. :func:`route` applies the
tier rules of the spec: Free and Pay-As-You-Go always get ``general``; Starter and above get the
specialist.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from local_gateway.services.monster_gpt.bayes import BayesModel, cached, train
from local_gateway.services.monster_gpt.disciplines import GENERAL, Discipline, load_disciplines, tier_rank
from local_gateway.services.monster_gpt.semantic import SemanticLayer, semantic_layer
from local_gateway.services.monster_gpt.term_index import TermIndex, build_index
from local_gateway.services.monster_gpt.term_index import cached as cached_index

__all__ = [
    "Classification",
    "Route",
    "SemanticLayer",
    "classify",
    "detect_engine",
    "detect_language",
    "load_disciplines",
    "route",
    "semantic_layer",
    "warm",
]

# Below this score no specialist has enough evidence: one strong term, one medium term, a few
# weak ones, or a Bayes posterior of about 0.1 are needed before a prompt leaves `general`.
THRESHOLD = 1.5
# The Bayes posterior (sums to 1 over the disciplines) times this is added to the keyword score,
# so a confident model weighs about as much as five strong keywords. Weight and temperature were
# chosen by cross-validation on the prototypes (folds held out of the model), not on any
# evaluation set.
BAYES_WEIGHT = 16.0
BAYES_TEMPERATURE = 4.0
# The semantic layer is consulted only when the two best lexical scores are closer than this:
# about one prompt in five, which keeps the median classification in microseconds (an encode is
# a few milliseconds). Chosen with bench/tune_classifier.py on the tuning sets only. With dev3
# (labelled, unseen, dev, dev2, dev3) margin 16 and weight 24 score 96.6% against 96.3%, four
# questions in 1,207, but encode on 39% of calls: the median call then lands on the slow tail
# of the lexical path and measured 0.76-1.23 ms at load 3, against the 1 ms budget.
SEMANTIC_MARGIN = 10.0
SEMANTIC_WEIGHT = 16.0
SEMANTIC_TEMPERATURE = 0.05
# A prompt whose best cosine similarity is below this is about none of the crafts (greetings,
# gibberish score about 0.2): the semantic layer then adds nothing.
SEMANTIC_FLOOR = 0.3
LEXICAL = "lexical"
SEMANTIC = "semantic"
# Tiers below this one get `general` whatever the prompt is about (spec, "Monster-GPT").
SPECIALIST_TIER = "starter"

ENGINE_NAMES = {
    "unreal": "Unreal Engine",
    "unity": "Unity",
    "godot": "Godot",
    "bevy": "Bevy",
    "gamemaker": "GameMaker",
    "defold": "Defold",
    "cryengine": "CRYENGINE",
    "o3de": "O3DE",
    "roblox": "Roblox",
    "monogame": "MonoGame",
    "love2d": "LÖVE",
    "custom": "a custom engine",
}
# Named mentions; group 1 is a version when one follows ("Unity 6", "UE5.4", "Godot 4.2").
_ENGINE_NAMED = (
    ("unreal", re.compile(r"\bunreal(?:\s+engine)?(?:\s+(\d(?:\.\d+)?))?\b")),
    ("unreal", re.compile(r"\bue\s?([45](?:\.\d+)?)\b")),
    ("unity", re.compile(r"\bunity(?:\s?(\d{1,4}(?:\.\d+)?))?\b(?!\s+(?:of|between|among))")),
    ("godot", re.compile(r"\bgodot(?:\s+(\d(?:\.\d+)?))?\b")),
    ("bevy", re.compile(r"\bbevy(?:\s+(0\.\d+))?\b")),
    ("gamemaker", re.compile(r"\bgame\s?maker(?:\s+studio(?:\s+(\d))?)?\b|\bgms2\b|\bgml\b")),
    ("defold", re.compile(r"\bdefold\b()")),
    ("cryengine", re.compile(r"\bcry\s?engine\b()")),
    ("o3de", re.compile(r"\bo3de\b()")),
    ("roblox", re.compile(r"\broblox\b()|\bluau\b()")),
    ("monogame", re.compile(r"\bmonogame\b()|\bxna\b()")),
    ("love2d", re.compile(r"\blove2d\b()|\blöve\b()")),
    (
        "custom",
        re.compile(
            r"\b(?:custom|in-house|inhouse|homemade|home-made|homebrew|proprietary|our own|my own)"
            r"\s+(?:[\w+#]+\s+){0,2}engine\b()|\bengine from scratch\b()"
        ),
    ),
)
# API names that only one engine has: enough to know the engine when it is never named.
_ENGINE_IMPLIED = (
    (
        "unreal",
        re.compile(
            r"\b(?:uproperty|uclass|ufunction|uobject|aactor|niagara|nanite|lumen|"
            r"metasounds?|umg|blueprints?|unreal insights)\b"
        ),
    ),
    (
        "unity",
        re.compile(
            r"\b(?:monobehaviou?r|scriptableobject|gameobject|urp|hdrp|shuriken|"
            r"cinemachine|addressables|ugui|textmeshpro|il2cpp|shaderlab)\b"
        ),
    ),
    ("godot", re.compile(r"\b(?:gdscript|tscn|node2d|node3d|characterbody[23]d|_physics_process)\b")),
)
_ENGINE_HINT = re.compile(r"\bengine\s*[:=]\s*([^\n,;]+?)(?:\.(?=\s|$)|[\n,;]|$)")
# "Engine: Unity 6. Language: C#." says which tools, not which craft: drop it before scoring.
_HINTS = re.compile(
    r"(?:^|(?<=\n)|(?<=[.!?] ))\s*(?:engine|language)\s*[:=][^\n;]*?(?:\.(?=\s|$)|[\n;]|$)",
    re.IGNORECASE,
)
_LANGUAGE_HINT = re.compile(r"\blanguage\s*[:=]\s*([^\n,;]+?)(?:\.\s|\.$|[\n,;]|$)")
_LANGUAGES = (
    ("C#", re.compile(r"(?<![\w])c#|\bcsharp\b")),
    ("C++", re.compile(r"(?<![\w])c\+\+|\bcpp\b")),
    ("GDScript", re.compile(r"\bgdscript\b")),
    ("Blueprint", re.compile(r"\bblueprints?\b")),
    # "rust" is also a material; only count the language when the sentence says so.
    ("Rust", re.compile(r"\b(?:in|with|using)\s+rust\b|\brust\s+(?:code|engine|crate|game)\b|\bcargo\b")),
    ("Lua", re.compile(r"\blua[u]?\b")),
    ("Python", re.compile(r"\bpython\b")),
    ("HLSL", re.compile(r"\bhlsl\b")),
    ("GLSL", re.compile(r"\bglsl\b")),
    ("GML", re.compile(r"\bgml\b")),
    ("TypeScript", re.compile(r"\btypescript\b")),
    ("JavaScript", re.compile(r"\bjavascript\b")),
)


@dataclass(frozen=True)
class Classification:
    """What a prompt is about: the discipline, how sure, the runners-up and the engine."""

    discipline: str
    specialist: str
    confidence: float
    # Up to three (discipline id, score) pairs, best first; empty when nothing matched.
    scores: tuple[tuple[str, float], ...]
    engine: str | None = None
    engine_version: str | None = None
    language: str | None = None
    # The indexed terms that spoke for the chosen discipline, for logs and debugging.
    terms: tuple[str, ...] = ()
    # Which layers decided: "lexical" (keyword index + naive Bayes) or "semantic" (those plus
    # sentence-embedding similarity, for close calls once MiniLM has loaded).
    method: str = LEXICAL


@dataclass(frozen=True)
class Route:
    """Where a Monster-GPT request goes: the discipline used, its prompt and the backend model."""

    discipline: str
    specialist: str
    model: str
    system_prompt: str
    tier: str
    # The classifier's view even when the tier forced `general`, so it can still be reported.
    classification: Classification

    @property
    def restricted(self) -> bool:
        """True when the tier, not the prompt, decided on ``general``."""
        return self.discipline != self.classification.discipline


@dataclass(frozen=True)
class _Engine:
    engine: str | None
    version: str | None


# The process's keyword index, once built or loaded (a list, like _BAYES below, so that warm()
# can put an index read from disk where a first classification would otherwise build one).
_INDEX: list[TermIndex] = []


def _index() -> TermIndex:
    if not _INDEX:
        _INDEX.append(build_index(load_disciplines()))
    return _INDEX[0]


# The process's Bayes model, once trained or loaded (a list, so that warm() can put a model
# read from disk where a first classification would otherwise train one).
_BAYES: list[BayesModel] = []


def _bayes() -> BayesModel:
    if not _BAYES:
        _BAYES.append(train(load_disciplines()))
    return _BAYES[0]


def warm(semantic: SemanticLayer | None = None, cache_dir: Path | None = None) -> str:
    """Build everything :func:`classify` caches and return the method close calls will use.

    The keyword index and Bayes model take about 0.3 s; ``semantic``, when given, loads its
    model and embeds every discipline's texts (seconds). Until this has run the layer is not
    consulted, so no request pays for building it: call it once at start-up, off the event
    loop. A semantic classification itself costs an encode (10-20 ms on a busy 2-core machine),
    so async callers run :func:`route` in a worker thread when ``semantic.ready`` is true.
    With ``cache_dir`` the keyword index and the Bayes model are read from there when a previous
    start built them.
    """
    if not _INDEX and cache_dir is not None:
        _INDEX.append(cached_index(load_disciplines(), cache_dir))
    _index()
    if not _BAYES and cache_dir is not None:
        _BAYES.append(cached(load_disciplines(), cache_dir))
    _bayes()
    if semantic is None:
        return LEXICAL
    semantic.build()
    return SEMANTIC


def detect_engine(text: str) -> tuple[str | None, str | None]:
    """``(engine id, version)`` from an explicit hint, a named engine, or an engine-only API."""
    found = _detect_engine(text.lower())
    return found.engine, found.version


def _detect_engine(low: str) -> _Engine:
    hint = _ENGINE_HINT.search(low)
    if hint:
        named = _named_engine(hint.group(1))
        if named.engine:
            return named
    named = _named_engine(low)
    if named.engine:
        return named
    best: tuple[int, str] | None = None
    for engine, pattern in _ENGINE_IMPLIED:
        m = pattern.search(low)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), engine)
    return _Engine(best[1] if best else None, None)


def _named_engine(low: str) -> _Engine:
    # The most-mentioned engine wins; on a tie, the one named first.
    tally: dict[str, list[int]] = {}
    versions: dict[str, str] = {}
    for engine, pattern in _ENGINE_NAMED:
        for m in pattern.finditer(low):
            slot = tally.setdefault(engine, [0, m.start()])
            slot[0] += 1
            slot[1] = min(slot[1], m.start())
            version = next((g for g in m.groups() if g), None)
            if version and engine not in versions:
                versions[engine] = version
    if not tally:
        return _Engine(None, None)
    engine = min(tally, key=lambda e: (-tally[e][0], tally[e][1]))
    return _Engine(engine, versions.get(engine))


def detect_language(text: str) -> str | None:
    """The programming language from a ``Language: C#.`` hint or the first one named."""
    low = text.lower()
    hint = _LANGUAGE_HINT.search(low)
    scope = hint.group(1) if hint else low
    best: tuple[int, str] | None = None
    for name, pattern in _LANGUAGES:
        m = pattern.search(scope)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), name)
    return best[1] if best else None


def classify(text: str, semantic: SemanticLayer | None = None) -> Classification:
    """Classify a prompt into one discipline; ``general`` when no specialist has the evidence.

    ``semantic`` is asked about close calls once it is ready; without it the answer is lexical.
    """
    disciplines = load_disciplines()
    # "Engine: Unity 6. Language: C#." says which tools, not which craft.
    body = _HINTS.sub(" ", text)
    matched = _index().match(body)
    totals, method = _scores(body, matched, semantic)
    # Best first. Ties go to the discipline with the most specific single piece of keyword
    # evidence, then to a specialist over `general`, and only then to the id, so the result never
    # depends on dictionary order. Only the leaders (the best three and anything tied with the
    # third) need the full key.
    order = sorted(totals, key=totals.__getitem__, reverse=True)
    cut = totals[order[min(2, len(order) - 1)]] if order else 0.0
    leaders = sorted(
        (disc for disc in order if totals[disc] >= cut and totals[disc] > 0),
        key=lambda disc: (
            -totals[disc],
            -max(matched.get(disc, {}).values(), default=0.0),
            disc == GENERAL,
            disc,
        ),
    )
    best3 = [(disc, totals[disc]) for disc in leaders[:3]]
    top3 = tuple((disc, round(score, 3)) for disc, score in best3)
    engine = _detect_engine(text.lower())
    language = detect_language(text)
    best, best_score = best3[0] if best3 else (GENERAL, 0.0)
    if best_score < THRESHOLD:
        chosen = GENERAL
        confidence = 1.0 - best_score / THRESHOLD
    else:
        chosen = best
        share = best_score / sum(score for _, score in best3)
        confidence = share * min(1.0, best_score / (2 * THRESHOLD))
    return Classification(
        discipline=chosen,
        specialist=disciplines[chosen].specialist,
        confidence=round(confidence, 3),
        scores=top3,
        engine=engine.engine,
        engine_version=engine.version,
        language=language,
        terms=tuple(sorted(matched.get(chosen, ()))),
        method=method,
    )


def _scores(
    body: str, matched: dict[str, dict[str, float]], layer: SemanticLayer | None
) -> tuple[dict[str, float], str]:
    """Each discipline's combined score and which layers produced it."""
    model = _bayes()
    posterior, known = model.posterior(body, BAYES_TEMPERATURE)
    if not matched and not known:
        return {}, LEXICAL  # not one word any discipline knows: nothing to weigh
    totals = {disc: sum(found.values()) for disc, found in matched.items()}
    if known:
        for disc, p in zip(model.ids, posterior, strict=True):
            totals[disc] = totals.get(disc, 0.0) + BAYES_WEIGHT * p
    first, second = [*sorted(totals.values(), reverse=True), 0.0, 0.0][:2]
    if first - second >= SEMANTIC_MARGIN:
        return totals, LEXICAL
    if layer is None or not layer.ready:
        return totals, LEXICAL
    similarities = layer.similarities(body)
    top = max(similarities)
    if top < SEMANTIC_FLOOR:
        return totals, LEXICAL
    exps = [math.exp((s - top) / SEMANTIC_TEMPERATURE) for s in similarities]
    norm = sum(exps)
    for disc, e in zip(layer.ids, exps, strict=True):
        totals[disc] = totals.get(disc, 0.0) + SEMANTIC_WEIGHT * e / norm
    return totals, SEMANTIC


def route(text: str, tier: str, semantic: SemanticLayer | None = None) -> Route:
    """Classify ``text`` and apply ``tier``: below Starter the answer always comes from ``general``."""
    disciplines = load_disciplines()
    found = classify(text, semantic)
    use = found.discipline if tier_rank(tier) >= tier_rank(SPECIALIST_TIER) else GENERAL
    discipline = disciplines[use]
    return Route(
        discipline=use,
        specialist=discipline.specialist,
        model=discipline.model_for(tier),
        system_prompt=_system_prompt(discipline, found),
        tier=tier,
        classification=found,
    )


def _system_prompt(discipline: Discipline, found: Classification) -> str:
    context = []
    if found.engine:
        name = ENGINE_NAMES[found.engine]
        context.append(f"{name} {found.engine_version}" if found.engine_version else name)
    if found.language:
        context.append(found.language)
    if not context:
        return discipline.system_prompt
    return f"{discipline.system_prompt}\n\nThe developer is working with {', '.join(context)}."
