"""JSON on the hot path (request bodies, answers, SSE chunks, upstream calls, the access log).

orjson is several times faster than the standard library. Where the two would disagree, the
standard library decides, so behaviour is the same as ``json`` with compact separators: a body
orjson rejects is re-parsed by ``json`` (which accepts NaN, huge integers and UTF-16 and words
the error messages clients see), and a value orjson cannot encode goes through ``json.dumps``.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON."""
    try:
        return orjson.dumps(value, option=_OPTIONS)
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def loads(data: bytes | str) -> Any:
    """Parse JSON; raises what ``json.loads`` raises (``json.JSONDecodeError``, ``UnicodeDecodeError``)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)
