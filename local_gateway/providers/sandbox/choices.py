"""``n`` choices for one sandbox request, each different, each the same on every call.

Choice 0 is the answer the request gets with ``n = 1``; choice ``i`` is the answer to the same
request marked as its ``i``-th variant (a hint only the fingerprint sees), re-marked a few times
when it came out the same as an earlier choice. ``usage`` counts the prompt once and every
choice's completion tokens, as OpenAI bills ``n``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from local_gateway.providers.base import ChatRequest, Completion, Usage
from local_gateway.providers.sandbox.logprobs import logprobs_for

__all__ = ["answer_choices"]

_TRIES = 8


def _same(a: Completion, b: Completion) -> bool:
    return a.content == b.content and a.tool_calls == b.tool_calls


def answer_choices(
    request: ChatRequest, answer: Callable[[ChatRequest], Completion], seed: Callable[[ChatRequest], str]
) -> Completion:
    """The ``request.n`` choices of ``answer`` (with logprobs when asked) as one completion."""
    found = [answer(request)]
    for index in range(1, request.n):
        candidate = found[0]
        for attempt in range(_TRIES):
            variant = replace(request, context={**request.context, "choice": f"{index}.{attempt}"})
            candidate = answer(variant)
            if not any(_same(candidate, earlier) for earlier in found):
                break  # else: after a few tries a repeat is kept (a forced call can only be one way)
        found.append(candidate)
    if request.logprobs:
        base = seed(request)
        for index, choice in enumerate(found):
            choice.logprobs = logprobs_for(choice.content, request.top_logprobs, f"{base}|{index}")
    first, rest = found[0], found[1:]
    completion_tokens = sum(c.usage.completion_tokens for c in found)
    first.usage = Usage(first.usage.prompt_tokens, completion_tokens)
    first.alternatives = rest
    return first
