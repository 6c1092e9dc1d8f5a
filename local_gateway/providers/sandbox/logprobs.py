"""Plausible log probabilities for the sandbox's answers (``logprobs: true``, ``top_logprobs``).

The sandbox does not sample from a distribution, so these are made up, but made up the way a
game's code can rely on: the tokens are the answer cut where the shared token counter cuts it
(so there are as many as ``usage`` counts), every value is a log of a probability (≤ 0), the
alternatives of a token are less likely than it and their probabilities sum to less than one, and
the same answer always gets the same numbers.
"""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any

__all__ = ["logprobs_for", "split_by_pieces", "token_pieces"]

# A word (cut into pieces of at most four characters, as the counter counts) or one mark, with
# the whitespace before it.
_PIECE = re.compile(r"\s*(?:[A-Za-z0-9_]+|[^\sA-Za-z0-9_])")
_ALTERNATIVES = (" the", " a", ",", ".", " and", " of", " to", " you", " I", " it", " is", " that",
                 "!", " my", " your", " for", " with", " in", " on", " we", " be")  # fmt: skip


def token_pieces(text: str) -> list[str]:
    """``text`` as tokens: joined they give ``text`` back; there are ``count_text(text)`` of them
    (whitespace-only text is one token)."""
    out: list[str] = []
    end = 0
    for match in _PIECE.finditer(text):
        piece = match.group()
        word = piece.lstrip()
        space = piece[: len(piece) - len(word)]
        if word[:1].isalnum() or word[:1] == "_":
            chunks = [word[i : i + 4] for i in range(0, len(word), 4)]
        else:
            chunks = [word]
        chunks[0] = space + chunks[0]
        out += chunks
        end = match.end()
    if end < len(text):  # trailing whitespace travels with the last token
        if out:
            out[-1] += text[end:]
        else:
            out.append(text[end:])
    return out


def _unit(seed: str, *parts: object) -> float:
    digest = hashlib.sha256("|".join([seed, *map(str, parts)]).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _entry(token: str, logprob: float) -> dict[str, Any]:
    return {"token": token, "logprob": logprob, "bytes": list(token.encode("utf-8"))}


def logprobs_for(text: str | None, top: int | None, seed: str) -> dict[str, Any]:
    """OpenAI's choice ``logprobs`` object for ``text``, with ``top`` alternatives per token."""
    if text is None:
        return {"content": None, "refusal": None}
    content = []
    for position, token in enumerate(token_pieces(text)):
        # Most tokens of a fluent answer are likely; some are a real choice.
        p = 0.35 + 0.6499 * _unit(seed, position, token) ** 0.35
        entry = _entry(token, round(math.log(p), 6))
        ranked = [_entry(token, entry["logprob"])] if top else []
        others = [t for t in _ALTERNATIVES if t != token]
        start = int(_unit(seed, "alt", position) * len(others))
        for rank in range(1, top or 0):
            alternative = others[(start + rank) % len(others)]
            # Each alternative takes half of what is left: all of them together stay below 1 - p.
            ranked.append(_entry(alternative, round(math.log((1 - p) * 0.5**rank), 6)))
        entry["top_logprobs"] = ranked
        content.append(entry)
    return {"content": content, "refusal": None}


def split_by_pieces(logprobs: dict[str, Any], pieces: list[str]) -> list[dict[str, Any] | None]:
    """The ``logprobs`` of each streamed piece of the text (the tokens that start inside it)."""
    entries = logprobs.get("content") or []
    out: list[dict[str, Any] | None] = []
    i = offset = start = 0  # start: where entry i begins in the text
    for piece in pieces:
        offset += len(piece)
        mine = []
        while i < len(entries) and start < offset:
            mine.append(entries[i])
            start += len(entries[i]["token"])
            i += 1
        out.append({"content": mine, "refusal": None})
    return out
