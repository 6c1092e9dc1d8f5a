"""Monster-GPT's files in the cache directory (the Bayes model, the disciplines' vectors).

Each is only a shortcut: written aside and renamed, so a crash mid-write never leaves a half
file to be trusted, and a disk that refuses the write costs the next start its rebuild, no more.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from array import array
from itertools import pairwise
from pathlib import Path
from typing import Any

log = logging.getLogger("mg.gateway.monster_gpt")


def write_atomically(path: Path, data: bytes, what: str) -> None:
    """Replace ``path`` with ``data`` whole, or leave it as it was (``what`` names it in the log)."""
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        log.warning("cannot write Monster-GPT's %s %s: %s", what, path, exc)
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def _digest(payload: bytes) -> bytes:
    return hashlib.sha256(payload).hexdigest().encode() + b"\n"


def read_checked(path: Path, key: bytes) -> bytes | None:
    """The payload :func:`write_checked` stored under ``key``; None when the file is missing or was
    made from other inputs. A payload whose checksum fails raises ``ValueError``: a damaged byte
    anywhere means a rebuild, never a wrong weight."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    if not data.startswith(key):
        return None
    digest, payload = data[len(key) : len(key) + 65], data[len(key) + 65 :]
    if digest != _digest(payload):
        raise ValueError("damaged (checksum)")
    return payload


def write_checked(path: Path, key: bytes, payload: bytes, what: str) -> None:
    """Store ``payload`` under ``key`` with its checksum, whole or not at all."""
    write_atomically(path, key + _digest(payload) + payload, what)


def pack_rows(head: dict[str, Any], starts: array[int], indexes: bytes, values: array[float]) -> bytes:
    """A sparse table in flat arrays (row ``r``'s entries are ``starts[r]:starts[r + 1]`` of
    ``indexes`` and ``values``) and a JSON ``head``, as bytes for :func:`unpack_rows`."""
    parts = (json.dumps(head).encode(), starts.tobytes(), bytes(indexes), values.tobytes())
    sizes = array("Q", [len(p) for p in parts])
    return sizes.tobytes() + b"".join(parts)


def unpack_rows(data: bytes, what: str) -> tuple[dict[str, Any], array[int], bytes, array[float]]:
    """What :func:`pack_rows` wrote; ``ValueError`` (naming ``what``) when it is not whole."""
    sizes = array("Q")
    sizes.frombytes(data[: 4 * 8])
    if len(sizes) != 4 or 4 * 8 + sum(sizes) != len(data):
        raise ValueError(f"not a whole {what}")
    offsets = [4 * 8]
    for size in sizes:
        offsets.append(offsets[-1] + size)
    head_bytes, starts_bytes, indexes, values_bytes = (data[a:b] for a, b in pairwise(offsets))
    starts = array("L")
    starts.frombytes(starts_bytes)
    values = array("d")
    values.frombytes(values_bytes)
    return json.loads(head_bytes), starts, indexes, values
