"""Monster-GPT: the discipline files, the classifier and the tier routing.

Accuracy is measured on four sets in ``tests/data`` (see the README there for how each was made):
the labelled set, the unseen set (phrased unlike the labelled set), and two that have never been
used to shape the vocabulary or the models and are therefore the honest measure of
generalisation: the holdout and the fresh set (written before the classifier learned from
prototypes). Accuracy tests pin the lexical path, which every install has; the semantic layer is
tested with a stand-in encoder, and on the real sets only where its package is installed.
"""

from __future__ import annotations

import difflib
import json
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from local_gateway.providers.embedders import HashedNgramEmbedder
from local_gateway.providers.minilm import MiniLMEmbedder
from local_gateway.services.monster_gpt import bayes, term_index
from local_gateway.services.monster_gpt.bayes import cached, train
from local_gateway.services.monster_gpt.disciplines import (
    GENERAL,
    KEYWORD_GRADES,
    TIERS,
    load_disciplines,
    tier_rank,
)
from local_gateway.services.monster_gpt.router import (
    LEXICAL,
    SEMANTIC,
    SEMANTIC_MARGIN,
    Classification,
    classify,
    detect_engine,
    detect_language,
    route,
    warm,
)
from local_gateway.services.monster_gpt.semantic import (
    CACHE_FILE,
    SemanticLayer,
    discipline_texts,
    semantic_layer,
)
from local_gateway.services.monster_gpt.term_index import (
    NEUTRAL,
    STOPWORDS,
    build_index,
    context_words,
    stem,
    words,
)

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
CATALOG = ROOT / "local_gateway" / "data" / "models.json"

SPEC_DISCIPLINES = {
    "programming",
    "rendering",
    "shader",
    "art",
    "animation",
    "design",
    "narrative",
    "multiplayer",
    "qa",
    "localization",
    "audio",
    "vfx",
}
MORE_DISCIPLINES = {
    "environment_art",
    "character_art",
    "sculpting",
    "ui_ux",
    "physics",
    "level_design",
    "production",
    "tools",
    "pipeline",
    "live_ops",
    "ai_programming",
    "gameplay_programming",
    "engine_programming",
    "optimization",
    "mobile",
    "console_certification",
    "monetization",
    "community",
    "marketing",
    "technical_writing",
    "procedural_generation",
    "lighting",
    "cinematics",
    "accessibility",
    "analytics",
    "security",
    "build_release",
}
# Engines and tools a specialist prompt is expected to name at least one of.
ENGINES_AND_TOOLS = (
    "Unreal",
    "Unity",
    "Godot",
    "Bevy",
    "GameMaker",
    "Niagara",
    "FMOD",
    "Wwise",
    "Houdini",
    "ZBrush",
    "Substance",
    "Blender",
    "Maya",
    "Perforce",
    "Jenkins",
    "RenderDoc",
    "Steamworks",
    "Discord",
    "Xcode",
    "Jira",
    "Figma",
)


def _rows(name: str) -> list[dict[str, str]]:
    path = DATA / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def disciplines() -> Any:
    return load_disciplines()


@pytest.fixture(scope="module")
def catalog() -> dict[str, dict[str, Any]]:
    models = json.loads(CATALOG.read_text(encoding="utf-8"))["models"]
    return {m["id"]: m for m in models}


def _accuracy(
    rows: list[dict[str, str]], semantic: SemanticLayer | None = None
) -> tuple[float, list[tuple[str, str, str]]]:
    # Without a semantic layer classify() is lexical, the path every install has.
    wrong = []
    for row in rows:
        got = classify(row["text"], semantic).discipline
        if got != row["discipline"]:
            wrong.append((row["discipline"], got, row["text"]))
    return 1 - len(wrong) / len(rows), wrong


def _confusion(wrong: list[tuple[str, str, str]]) -> str:
    pairs = Counter((want, got) for want, got, _ in wrong)
    lines = [f"  {want:>22} -> {got:<22} x{n}" for (want, got), n in pairs.most_common()]
    lines += [f"  [{want} -> {got}] {text[:100]}" for want, got, text in wrong[:40]]
    return "\n".join(lines)


# --- the discipline files -------------------------------------------------------------------


def test_discipline_count_and_spec_coverage(disciplines: Any) -> None:
    ids = set(disciplines)
    assert GENERAL in ids
    assert len(ids - {GENERAL}) >= 32
    assert not SPEC_DISCIPLINES - ids
    assert not MORE_DISCIPLINES - ids


def test_every_discipline_file_has_all_fields(disciplines: Any) -> None:
    for d in disciplines.values():
        assert d.id and d.name and d.specialist and d.description, d.id
        assert len(d.examples) == 3, d.id
        assert all(len(e) < 120 for e in d.examples), d.id
        assert set(d.keywords) == set(KEYWORD_GRADES), d.id
        assert len(d.keywords["strong"]) + len(d.keywords["core"]) >= 20, d.id
        assert sum(len(v) for v in d.keywords.values()) >= 60, d.id
        assert any(" " in k for v in d.keywords.values() for k in v), f"{d.id}: no multi-word phrases"
        # Enough plain-language accounts of the craft for the Bayes and semantic layers to learn
        # from; the cap keeps any one discipline from drowning the others' priors.
        assert 10 <= len(d.prototypes) <= 60, (d.id, len(d.prototypes))
        assert len(set(d.prototypes)) == len(d.prototypes), d.id


def test_system_prompts_are_specialist_and_name_engines_or_tools(disciplines: Any) -> None:
    for d in disciplines.values():
        lines = d.system_prompt.splitlines()
        assert 8 <= len(lines) <= 15, (d.id, len(lines))
        named = [t for t in ENGINES_AND_TOOLS if t in d.system_prompt]
        assert named, f"{d.id}: system prompt names no engine or tool"


def test_routes_point_at_catalog_models_the_tier_may_use(
    disciplines: Any, catalog: dict[str, dict[str, Any]]
) -> None:
    for d in disciplines.values():
        for tier, model_id in d.route.items():
            assert model_id in catalog, (d.id, model_id)
            model = catalog[model_id]
            assert model["kind"] == "chat", (d.id, model_id)
            assert tier_rank(model["tier_minimum"]) <= tier_rank(tier), (d.id, tier, model_id)
        if d.id != GENERAL:
            assert "starter" in d.route, d.id
    assert disciplines[GENERAL].model_for("free") == "deepseek-chat"


# --- the data sets ---------------------------------------------------------------------------


def test_labelled_set_shape(disciplines: Any) -> None:
    rows = _rows("monster_gpt_labelled.jsonl")
    assert len(rows) >= 330
    per = Counter(r["discipline"] for r in rows)
    assert set(per) == set(disciplines), set(disciplines) ^ set(per)
    assert min(per.values()) >= 8, per.most_common()[-3:]
    assert len({r["text"] for r in rows}) == len(rows)


def test_unseen_and_holdout_sets_shape(disciplines: Any) -> None:
    unseen = _rows("monster_gpt_unseen.jsonl")
    holdout = _rows("monster_gpt_holdout.jsonl")
    assert len(unseen) >= 60
    assert len(holdout) >= 60
    for rows in (unseen, holdout):
        assert {r["discipline"] for r in rows} <= set(disciplines)


def test_fresh_set_shape(disciplines: Any) -> None:
    rows = _rows("monster_gpt_fresh.jsonl")
    assert len(rows) >= 200
    per = Counter(r["discipline"] for r in rows)
    assert set(per) == set(disciplines), set(disciplines) ^ set(per)
    assert min(per.values()) >= 4, per.most_common()[-3:]


SETS = ("labelled", "unseen", "dev", "dev2", "dev3", "holdout", "fresh", "blind")


def test_sets_do_not_overlap_each_other_or_the_discipline_examples(disciplines: Any) -> None:
    sets = {n: _rows(f"monster_gpt_{n}.jsonl") for n in SETS}
    seen: dict[str, str] = {}
    for name, rows in sets.items():
        for r in rows:
            key = r["text"].strip().lower()
            assert key not in seen, (name, seen.get(key), r["text"])
            seen[key] = name
    # The classifier indexes the examples; a test question equal to one would measure nothing.
    examples = [e.lower() for d in disciplines.values() for e in d.examples]
    for rows in sets.values():
        for r in rows:
            text = r["text"].lower()
            near = [
                e
                for e in examples
                if (m := difflib.SequenceMatcher(None, text, e)).real_quick_ratio() > 0.85
                and m.quick_ratio() > 0.85
                and m.ratio() > 0.85
            ]
            assert not near, (r["text"], near)


def test_prototypes_are_not_copies_of_evaluation_questions(disciplines: Any) -> None:
    # Prototypes are what the Bayes and semantic layers learn from: a prototype sharing most of
    # its words with a test question would turn measuring into memorising.
    def content(text: str) -> set[str]:
        return {stem(w) for w in words(text) if w not in STOPWORDS and w not in NEUTRAL and len(w) > 1}

    questions = [(r["text"], content(r["text"])) for n in SETS for r in _rows(f"monster_gpt_{n}.jsonl")]
    for d in disciplines.values():
        for proto in d.prototypes:
            mine = content(proto)
            close = [q for q, theirs in questions if len(mine & theirs) > 0.5 * len(mine | theirs)]
            assert not close, (d.id, proto, close)


# --- accuracy -------------------------------------------------------------------------------


def test_accuracy_on_labelled_set() -> None:
    acc, wrong = _accuracy(_rows("monster_gpt_labelled.jsonl"))
    print(f"labelled accuracy {acc:.3f}")
    assert acc >= 0.92, f"labelled accuracy {acc:.3f}\n{_confusion(wrong)}"


def test_accuracy_on_unseen_set() -> None:
    acc, wrong = _accuracy(_rows("monster_gpt_unseen.jsonl"))
    print(f"unseen accuracy {acc:.3f}")
    assert acc >= 0.87, f"unseen accuracy {acc:.3f}\n{_confusion(wrong)}"


def test_accuracy_floor_on_holdout_set() -> None:
    # Never tune vocabulary or prototypes against this file: with the fresh set it is what says
    # how the classifier does on phrasing nobody has looked at. Measured 0.765 (lexical path).
    acc, wrong = _accuracy(_rows("monster_gpt_holdout.jsonl"))
    print(f"holdout accuracy {acc:.3f}")
    assert acc >= 0.70, f"holdout accuracy {acc:.3f}\n{_confusion(wrong)}"


def test_accuracy_floor_on_fresh_set() -> None:
    # Written before the classifier learned from prototypes and never tuned on. Measured 0.688
    # with keywords only, 0.838 on the lexical path; the floor sits five points below that.
    acc, wrong = _accuracy(_rows("monster_gpt_fresh.jsonl"))
    print(f"fresh accuracy {acc:.3f}")
    assert acc >= 0.78, f"fresh accuracy {acc:.3f}\n{_confusion(wrong)}"


def test_accuracy_floor_on_blind_set() -> None:
    # Written for issue #16 before any of its tuning, never tuned on. Measured 0.815 (lexical).
    acc, wrong = _accuracy(_rows("monster_gpt_blind.jsonl"))
    assert acc >= 0.78, f"blind accuracy {acc:.3f}\n{_confusion(wrong)}"


def test_accuracy_with_the_semantic_layer(disciplines: Any) -> None:
    # Measured 0.864 (holdout), 0.942 (fresh) and 0.925 (blind) with the default install's
    # all-MiniLM-L6-v2 (int8 ONNX), best-3 texts per discipline, consulted below margin 10.
    embedder = MiniLMEmbedder()
    assert embedder.warm(), embedder.failure
    layer = _ready(embedder, disciplines)
    holdout, _ = _accuracy(_rows("monster_gpt_holdout.jsonl"), layer)
    fresh, wrong_fresh = _accuracy(_rows("monster_gpt_fresh.jsonl"), layer)
    blind, wrong_blind = _accuracy(_rows("monster_gpt_blind.jsonl"), layer)
    figures = f"holdout {holdout:.3f} fresh {fresh:.3f} blind {blind:.3f}"
    assert holdout >= 0.76 and fresh >= 0.86 and blind >= 0.84, (
        f"{figures}\n{_confusion(wrong_fresh)}\n{_confusion(wrong_blind)}"
    )


# --- behaviour ------------------------------------------------------------------------------


def test_classification_is_deterministic() -> None:
    rows = _rows("monster_gpt_labelled.jsonl")[:120]
    first = [classify(r["text"]) for r in rows]
    again = [classify(r["text"]) for r in reversed(rows)][::-1]
    assert first == again


def test_index_build_is_deterministic(disciplines: Any) -> None:
    a, b = build_index(disciplines), build_index(disciplines)
    assert a.weights == b.weights
    assert a.phrase_starts == b.phrase_starts
    assert a.prefixes == b.prefixes


def test_bayes_training_is_deterministic(disciplines: Any) -> None:
    a, b = train(disciplines), train(disciplines)
    assert a == b
    scores, known = a.log_scores("my character's feet slide on slopes")
    assert known > 0 and len(scores) == len(disciplines)


def test_bayes_model_read_from_the_cache_is_the_one_training_makes(disciplines: Any, tmp_path: Path) -> None:
    trained = train(disciplines)
    first = cached(disciplines, tmp_path)  # nothing on disk yet: trains and writes
    assert (tmp_path / bayes.CACHE_FILE).is_file()
    again = cached(disciplines, tmp_path)
    assert first == again == trained and again is not first
    text = "my character's feet slide on slopes"
    assert repr(again.log_scores(text)) == repr(trained.log_scores(text))
    # Other training texts are another model: the cache written for these texts is not used.
    changed = dict(disciplines)
    changed["animation"] = replace(disciplines["animation"], prototypes=("feet slide on slopes",))
    assert cached(changed, tmp_path) == train(changed) != trained
    # A damaged file is only a missed shortcut.
    path = tmp_path / bayes.CACHE_FILE
    path.write_bytes(path.read_bytes()[:-10])
    assert cached(disciplines, tmp_path) == trained


def test_term_index_read_from_the_cache_is_the_one_building_makes(disciplines: Any, tmp_path: Path) -> None:
    built = build_index(disciplines)
    first = term_index.cached(disciplines, tmp_path)  # nothing on disk yet: builds and writes
    assert (tmp_path / term_index.CACHE_FILE).is_file()
    again = term_index.cached(disciplines, tmp_path)
    assert first == again == built and again is not first
    assert again.weights == built.weights and again.prefixes == built.prefixes
    text = "my lightmap bakes blotchy and the level design feels off"
    assert again.match(text) == built.match(text) and built.match(text)
    # Other keywords are another index: the file written for these texts is not used.
    changed = dict(disciplines)
    keywords = {**disciplines["animation"].keywords, "core": ("feet sliding",)}
    changed["animation"] = replace(disciplines["animation"], keywords=keywords)
    other = term_index.cached(changed, tmp_path)
    assert other == build_index(changed) != built and " ".join(term_index.terms("feet sliding")) in other.rows


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "empty"])
@pytest.mark.parametrize("layer", [term_index, bayes], ids=["term_index", "bayes"])
def test_a_damaged_lexical_cache_is_rebuilt(
    disciplines: Any, tmp_path: Path, damage: str, layer: Any
) -> None:
    # A flipped byte in the middle is a weight or an offset: it must be a rebuild, never loaded.
    built = layer.cached(disciplines, tmp_path)
    path = tmp_path / layer.CACHE_FILE
    data = path.read_bytes()
    middle = len(data) // 2
    path.write_bytes(
        {
            "truncate": data[:middle],
            "flip": data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :],
            "garbage": b"not a cache at all",
            "empty": b"",
        }[damage]
    )
    assert layer.cached(disciplines, tmp_path) == built
    assert path.read_bytes() == data  # rewritten whole


def test_bayes_layer_understands_what_no_keyword_names() -> None:
    # Neither question names its craft; the prototypes describe the problems in plain words.
    assert classify("my character's feet slide on slopes and float over stairs").discipline == "animation"
    assert classify("players in Brazil see the wrong currency symbol").discipline == "localization"


def _mentioned(text: str) -> str:
    found, flags = context_words(text)
    return " ".join(word for word, flag in zip(found, flags, strict=True) if flag)


def test_context_phrases_are_the_mentions_after_the_ask() -> None:
    # The phrase after the ask, to the end of its clause or the next clause word.
    assert _mentioned("What should be in the documentation for our level editor, and who writes it?") == (
        "for our level editor"
    )
    assert _mentioned("tips on .NET builds with a small team so we ship weekly") == "with a small team"
    # Before the clause has named anything, "in the ..." is the ask itself, not a mention.
    assert _mentioned("what should be in the credits") == ""
    assert _mentioned("how do I fix this") == ""
    # The words are the ones the index matches.
    assert context_words("Rigging for my C++ engine. Next")[0] == words("Rigging for my C++ engine. Next")


# Each names one craft in its ask and another in a context phrase; the ask decides.
ASKED_OVER_MENTIONED = (
    ("I need a trailer for my physics puzzle game", "marketing", "physics"),
    (
        "how do I profile frame time in my procedural dungeon generator",
        "optimization",
        "procedural_generation",
    ),
    ("how do I make a sound effect for the explosion in my particle system", "audio", "vfx"),
    ("how do I budget the memory of the textures in our open world", "optimization", "environment_art"),
)


@pytest.mark.parametrize(("text", "asked", "mentioned"), ASKED_OVER_MENTIONED)
def test_the_ask_outweighs_what_the_question_only_mentions(
    text: str, asked: str, mentioned: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert classify(text).discipline == asked
    # Without the rule the mention would win: the test checks the rule, not the vocabulary.
    monkeypatch.setattr(term_index, "CONTEXT_FACTOR", 1.0)
    assert classify(text).discipline == mentioned


def test_a_mention_alone_still_decides() -> None:
    # The discount only matters against a competing ask: a context phrase keeps its evidence.
    assert classify("what goes in a trailer for a puzzle game").discipline == "marketing"
    assert classify("the rooms from my procedural dungeon generator overlap each other").discipline == (
        "procedural_generation"
    )
    assert classify("tips for the particle system in my shooter").discipline == "vfx"


def test_classification_fields() -> None:
    c = classify("Engine: Unity 6. Language: C#. How do I stop my rigidbody from tunnelling through walls?")
    assert isinstance(c, Classification)
    assert c.discipline == "physics"
    assert c.specialist == load_disciplines()["physics"].specialist
    assert 0.0 < c.confidence <= 1.0
    assert 1 <= len(c.scores) <= 3
    assert c.scores[0][0] == "physics"
    assert [s for _, s in c.scores] == sorted((s for _, s in c.scores), reverse=True)
    assert c.engine == "unity" and c.engine_version == "6" and c.language == "C#"
    assert c.terms
    assert c.method == LEXICAL


# --- the semantic layer, with a stand-in encoder -------------------------------------------


class _OneHotEncoder:
    """Each discipline's texts embed as that discipline's axis; a query embeds as the axis of
    the discipline the test names for it, or as an extra axis no discipline has."""

    name = "one-hot"
    semantic = True

    def __init__(self, disciplines: Any, queries: dict[str, str]) -> None:
        self.ids = sorted(disciplines)
        self.owner = {t: d.id for d in disciplines.values() for t in discipline_texts(d)}
        self.queries = queries
        self.calls: list[str] = []
        self.dimensions = len(self.ids) + 1

    def embed(self, texts: Any) -> list[list[float]]:
        out = []
        for text in texts:
            if text not in self.owner:
                self.calls.append(text)
            axis = self.owner.get(text) or self.queries.get(text)
            vector = [0.0] * (len(self.ids) + 1)
            vector[self.ids.index(axis) if axis else -1] = 1.0
            out.append(vector)
        return out


def _ready(embedder: Any, disciplines: Any) -> SemanticLayer:
    layer = SemanticLayer(embedder, disciplines)
    layer.build()
    return layer


def _margin(text: str) -> float:
    first, second, *_ = [s for _, s in classify(text).scores] + [0.0, 0.0]
    return first - second


def test_semantic_layer_decides_only_close_calls(disciplines: Any) -> None:
    close = "it looks off somehow when the sun goes down"
    assert _margin(close) < SEMANTIC_MARGIN
    assert _margin(NETCODE) >= SEMANTIC_MARGIN
    encoder = _OneHotEncoder(disciplines, {close: "lighting", NETCODE: "audio"})
    layer = _ready(encoder, disciplines)
    found = classify(close, layer)
    assert (found.discipline, found.method) == ("lighting", SEMANTIC)
    # A clear lexical answer never pays for an encode, and the stand-in's opinion is not asked.
    clear = classify(NETCODE, layer)
    assert (clear.discipline, clear.method) == ("multiplayer", LEXICAL)
    assert encoder.calls == [close]


def test_warm_builds_the_caches_and_names_the_close_call_method(disciplines: Any) -> None:
    assert warm() == LEXICAL
    encoder = _OneHotEncoder(disciplines, {})
    layer = SemanticLayer(encoder, disciplines)
    assert warm(layer) == SEMANTIC and layer.ready
    assert not encoder.calls  # only the discipline texts were embedded


def test_semantic_layer_adds_nothing_below_its_similarity_floor(disciplines: Any) -> None:
    layer = _ready(_OneHotEncoder(disciplines, {}), disciplines)
    for text in ("hello there", "asdf qwerty zxcv"):
        found = classify(text, layer)
        assert (found.discipline, found.method) == (GENERAL, LEXICAL)


def test_semantic_layer_waits_until_warmed(disciplines: Any) -> None:
    # A request never pays for building the centroids: until warm() has run, close calls stay
    # lexical, and afterwards the layer answers them.
    close = "it looks off somehow when the sun goes down"
    encoder = _OneHotEncoder(disciplines, {close: "lighting"})
    layer = SemanticLayer(encoder, disciplines)
    assert not layer.ready
    assert classify(close, layer).method == LEXICAL
    assert not encoder.calls
    assert warm(layer) == SEMANTIC and layer.ready
    assert (classify(close, layer).discipline, classify(close, layer).method) == ("lighting", SEMANTIC)


class _CountingEncoder:
    """Hashed n-grams (real, varied vectors) that say which model they are and count encodes."""

    semantic = True

    def __init__(self, identity: str = "stand-in v1") -> None:
        self.identity = identity
        self.name = "stand-in"
        self.inner = HashedNgramEmbedder(64)
        self.dimensions = 64
        self.encoded = 0

    def embed(self, texts: Any) -> list[list[float]]:
        self.encoded += len(texts)
        return self.inner.embed(texts)


QUERIES = ("the lights look flat at dusk", "my rigidbody jitters on slopes", "steam page tips?")


def test_cached_vectors_give_the_same_similarities_as_a_fresh_build(disciplines: Any, tmp_path: Path) -> None:
    fresh = SemanticLayer(_CountingEncoder(), disciplines)
    fresh.build()
    first = SemanticLayer(_CountingEncoder(), disciplines, tmp_path)
    first.build()
    assert first.source == "built" and (tmp_path / CACHE_FILE).is_file()
    encoder = _CountingEncoder()
    again = SemanticLayer(encoder, disciplines, tmp_path)
    again.build()
    # Read back, not re-embedded: no discipline text went through the encoder.
    assert again.source == "cache" and encoder.encoded == 0
    for query in QUERIES:
        assert again.similarities(query) == fresh.similarities(query) == first.similarities(query)
    assert not list(tmp_path.glob("*.tmp"))


def test_a_changed_text_or_model_invalidates_the_cache(disciplines: Any, tmp_path: Path) -> None:
    SemanticLayer(_CountingEncoder(), disciplines, tmp_path).build()
    other_model = SemanticLayer(_CountingEncoder("stand-in v2"), disciplines, tmp_path)
    other_model.build()
    assert other_model.source == "built"
    changed = dict(disciplines)
    lighting = changed["lighting"]
    changed["lighting"] = replace(lighting, prototypes=(*lighting.prototypes, "a new sentence about shadows"))
    encoder = _CountingEncoder("stand-in v2")
    layer = SemanticLayer(encoder, changed, tmp_path)
    layer.build()
    assert layer.source == "built"
    assert encoder.encoded == sum(len(discipline_texts(d)) for d in changed.values())
    fresh = SemanticLayer(_CountingEncoder("stand-in v2"), changed)
    assert layer.similarities(QUERIES[0]) == fresh.similarities(QUERIES[0])
    reread = SemanticLayer(_CountingEncoder("stand-in v2"), changed, tmp_path)
    reread.build()
    assert reread.source == "cache"


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "empty"])
def test_a_damaged_cache_is_ignored_and_rebuilt(disciplines: Any, tmp_path: Path, damage: str) -> None:
    SemanticLayer(_CountingEncoder(), disciplines, tmp_path).build()
    path = tmp_path / CACHE_FILE
    data = path.read_bytes()
    damaged = {
        "truncate": data[: len(data) // 2],
        "flip": data[: len(data) // 2] + bytes([data[len(data) // 2] ^ 0xFF]) + data[len(data) // 2 + 1 :],
        "garbage": b"not a cache at all",
        "empty": b"",
    }[damage]
    path.write_bytes(damaged)
    layer = SemanticLayer(_CountingEncoder(), disciplines, tmp_path)
    layer.build()
    assert layer.source == "built"
    fresh = SemanticLayer(_CountingEncoder(), disciplines)
    assert layer.similarities(QUERIES[1]) == fresh.similarities(QUERIES[1])
    # The rebuilt file is whole again.
    reread = SemanticLayer(_CountingEncoder(), disciplines, tmp_path)
    reread.build()
    assert reread.source == "cache"


def test_no_cache_for_an_embedder_that_does_not_name_its_model(disciplines: Any, tmp_path: Path) -> None:
    # The one-hot stand-in (like MiniLM before it has loaded) has no identity: nothing is written.
    layer = SemanticLayer(_OneHotEncoder(disciplines, {}), disciplines, tmp_path)
    layer.build()
    assert layer.source == "built" and not list(tmp_path.iterdir())
    assert MiniLMEmbedder().identity is None


def test_configure_takes_auto_or_off(disciplines: Any) -> None:
    minilm = MiniLMEmbedder()  # constructing it loads nothing
    assert semantic_layer("off", minilm, disciplines) is None
    assert isinstance(semantic_layer("auto", minilm, disciplines), SemanticLayer)
    with pytest.raises(ValueError, match="MG_CLASSIFIER_SEMANTIC"):
        semantic_layer("sometimes", minilm, disciplines)


def test_semantic_layer_is_off_with_the_hashed_fallback_embedder(disciplines: Any) -> None:
    # With MG_EMBEDDER=hashed the app's embedder only matches words: the layer is off and
    # classification is lexical, whatever MG_CLASSIFIER_SEMANTIC says.
    assert semantic_layer("auto", HashedNgramEmbedder(), disciplines) is None


@pytest.mark.parametrize(
    "text",
    ["hello there", "what's the weather like tomorrow?", "", "   ", "thanks!", "asdf qwerty zxcv"],
)
def test_general_fallback(text: str) -> None:
    c = classify(text)
    assert c.discipline == GENERAL
    assert c.specialist == load_disciplines()[GENERAL].specialist
    assert 0.0 <= c.confidence <= 1.0


def test_engine_hint_does_not_decide_the_discipline() -> None:
    # The hint names tools, not a craft: the same question with and without it lands the same.
    q = "How do I make footsteps change sound on grass and stone?"
    assert classify(q).discipline == classify(f"Engine: Unreal Engine 5.4. Language: C++. {q}").discipline


@pytest.mark.parametrize(
    ("text", "engine", "version"),
    [
        ("Engine: Unity 6. Language: C#. How do I pool bullets?", "unity", "6"),
        ("Engine: Unreal Engine 5.4. Language: C++. Replication question", "unreal", "5.4"),
        ("UE5 Nanite foliage looks noisy", "unreal", "5"),
        ("godot 4.2 signals between scenes", "godot", "4.2"),
        ("bevy 0.14 system ordering", "bevy", "0.14"),
        ("GameMaker Studio 2 collision events", "gamemaker", "2"),
        ("our in-house C++ engine leaks memory", "custom", None),
        ("I'm writing my own little engine in Rust", "custom", None),
        ("my MonoBehaviour Update runs twice", "unity", None),
        ("GDScript export variables not showing", "godot", None),
        ("which UPROPERTY specifiers replicate?", "unreal", None),
        ("porting from Unity to Unreal: Unreal crashes on load", "unreal", None),
        ("how do I balance a card game?", None, None),
    ],
)
def test_engine_detection(text: str, engine: str | None, version: str | None) -> None:
    assert detect_engine(text) == (engine, version)
    assert classify(text).engine == engine


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Engine: Unity 6. Language: C#.", "C#"),
        ("Language: GDScript", "GDScript"),
        ("in C++ how do I", "C++"),
        ("a Blueprint that spawns actors", "Blueprint"),
        ("rust texture looks flat", None),
        ("written in Rust with cargo", "Rust"),
        ("no code here", None),
    ],
)
def test_language_detection(text: str, language: str | None) -> None:
    assert detect_language(text) == language


NETCODE = "How do I implement rollback netcode for a fighting game in Unreal Engine 5?"


@pytest.mark.parametrize("tier", ["free", "payg"])
def test_free_and_payg_always_get_general(tier: str) -> None:
    r = route(NETCODE, tier)
    assert r.discipline == GENERAL
    assert r.specialist == load_disciplines()[GENERAL].specialist
    assert r.model == "deepseek-chat"
    assert r.tier == tier
    # What the prompt was about is still reported, e.g. for the X-Monster-Discipline header.
    assert r.classification.discipline == "multiplayer"
    assert r.restricted


@pytest.mark.parametrize(
    ("tier", "model"),
    [
        ("starter", "claude-sonnet-4-6"),
        ("pro", "claude-opus-4-6"),
        ("studio", "claude-opus-4-6"),
        ("enterprise", "claude-opus-4-6"),
    ],
)
def test_starter_and_up_get_the_specialist(tier: str, model: str) -> None:
    r = route(NETCODE, tier)
    assert r.discipline == "multiplayer"
    assert r.specialist == "Network Engineer"
    assert r.model == model
    assert not r.restricted
    assert r.system_prompt.startswith(load_disciplines()["multiplayer"].system_prompt)
    assert r.system_prompt.endswith("The developer is working with Unreal Engine 5.")


def test_general_route_for_specialist_tiers() -> None:
    r = route("hello there", "pro")
    assert r.discipline == GENERAL
    assert not r.restricted
    assert r.model == load_disciplines()[GENERAL].model_for("pro")
    assert r.system_prompt == load_disciplines()[GENERAL].system_prompt


def test_every_discipline_routes_at_every_specialist_tier(disciplines: Any) -> None:
    for d in disciplines.values():
        for tier in TIERS[TIERS.index("starter") :]:
            assert d.model_for(tier)


def test_unknown_tier_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown tier"):
        route(NETCODE, "platinum")
