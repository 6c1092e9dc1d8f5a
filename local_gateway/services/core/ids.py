"""Prefixed opaque ids (``thr_…``, ``crash_…``): random, base36, never meaningful."""

from __future__ import annotations

import itertools
import secrets

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def new_id(prefix: str, nbytes: int = 12) -> str:
    """``prefix_`` + base36 of ``nbytes`` random bytes, e.g. ``thr_3k9x…``."""
    number = int.from_bytes(secrets.token_bytes(nbytes), "big")
    chars = []
    while number:
        number, rem = divmod(number, 36)
        chars.append(_ALPHABET[rem])
    sep = "" if prefix.endswith(("-", "_")) else "_"
    return f"{prefix}{sep}{''.join(reversed(chars)) or '0'}"


class SequentialIds:
    """Ids made cheaply: ``prefix`` + a random part drawn once per process + a counter.

    Unique across processes (64 random bits per process) and within one (the counter), which is
    all an id that names something needs (a request, a completion, a reservation); none is a
    secret, so none costs a ``secrets`` call (a system call) per request. Ids that must not be
    guessed (keys, sessions) stay :func:`new_id`'s or ``secrets``'.
    """

    def __init__(self, prefix: str) -> None:
        self._prefix = f"{prefix}{secrets.token_hex(8)}"
        self._count = itertools.count(1)

    def next(self) -> str:
        return f"{self._prefix}{next(self._count):x}"
