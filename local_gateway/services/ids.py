"""Prefixed opaque ids and the clock every service reads (tests replace the clock)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime

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


class Clock:
    """Wall clock with an offset that tests can move forward."""

    def __init__(self, source: Callable[[], float] = time.time) -> None:
        self._source = source
        self.offset = 0.0

    def time(self) -> float:
        return self._source() + self.offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), UTC)

    def advance(self, seconds: float) -> None:
        self.offset += seconds
