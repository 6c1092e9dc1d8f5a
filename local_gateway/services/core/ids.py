"""Prefixed opaque ids (``thr_…``, ``crash_…``): random, base36, never meaningful."""

from __future__ import annotations

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
