"""Monster-GPT: classify a prompt into a game-development discipline and route it to a specialist."""

from local_gateway.services.monster_gpt.router import (
    Classification,
    Route,
    classify,
    configure_semantic,
    detect_engine,
    detect_language,
    load_disciplines,
    route,
    semantic_ready,
    warm,
)

__all__ = [
    "Classification",
    "Route",
    "classify",
    "configure_semantic",
    "detect_engine",
    "detect_language",
    "load_disciplines",
    "route",
    "semantic_ready",
    "warm",
]
