"""Which engine answers test keys (``MG_SANDBOX_MODEL``): the template engine, or SmolLM2
grounded and checked by it."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from local_gateway.providers.base import ChatRequest, Completion
from local_gateway.providers.sandbox.engine import answer
from local_gateway.providers.sandbox.small_model import SMOLLM2

ENGINES = ("template", SMOLLM2)


def sandbox_answerer(choice: str) -> Callable[[ChatRequest], Completion] | None:
    """None for the template engine (the default); for ``smollm2`` the grounded small model,
    whose extra must be installed (else a start-up error that says how)."""
    choice = (choice or "template").lower()
    if choice == "template":
        return None
    if choice != SMOLLM2:
        raise ValueError(f"MG_SANDBOX_MODEL must be {' or '.join(ENGINES)}, not {choice!r}")
    from local_gateway.providers.sandbox.grounded import grounded_answer
    from local_gateway.providers.sandbox.small_model import SmallModel

    return partial(grounded_answer, model=SmallModel(), fallback=answer)
