"""Monster-GPT: classify a prompt into a game-development discipline and route it to a specialist."""

from local_gateway.services.monster_gpt.router import (
    Classification,
    Route,
    SemanticLayer,
    classify,
    detect_engine,
    detect_language,
    load_disciplines,
    route,
    semantic_layer,
    warm,
)

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
