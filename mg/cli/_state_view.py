"""World state and player state as the REPL's ``/state`` and ``mg threads state`` show them.

An NPC's thread without a player holds world state (every player's thread sees it); a player's
thread holds that player's state. Both commands say which one they show or set.
"""

from __future__ import annotations

from typing import Any

from mg.cli import _output

__all__ = ["LABELS", "show_state", "split_scope", "written_values"]

SCOPES = ("world", "player")
LABELS = {"world": "world state (every player sees it)", "player": "player state (this player's thread only)"}


def split_scope(arg: str) -> tuple[str | None, str]:
    """``world gold=12`` → ("world", "gold=12"); no scope word → (None, arg)."""
    word, _, rest = arg.strip().partition(" ")
    if word.lower() in SCOPES:
        return word.lower(), rest.strip()
    return None, arg.strip()


def written_values(answer: dict[str, Any], scope: str) -> dict[str, Any]:
    """The state of ``scope`` in a state answer (an older gateway answers only ``state``)."""
    if scope == "world" and "world_state" in answer:
        return answer.get("world_state") or {}
    return answer.get("state") or {}


def show_state(
    thread: str, answer: dict[str, Any], written: str | None = None, *, changed: bool = False
) -> None:
    """Print what a set changed (``changed``: the scope ``written``, or the thread's own) or,
    after a read, both scopes."""
    own = answer.get("scope") or "player"
    if changed:
        scope = written or own
        _output.info(f"set {LABELS[scope]} on thread {thread}:")
        _output.print_json(written_values(answer, scope))
        return
    _output.info(f"game state of thread {thread}:")
    _output.info(f"{LABELS['world']}:")
    _output.print_json(written_values(answer, "world"))
    if own == "player":
        _output.info(f"{LABELS['player']}:")
        _output.print_json(answer.get("state") or {})
