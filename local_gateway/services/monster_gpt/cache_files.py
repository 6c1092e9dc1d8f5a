"""Monster-GPT's files in the cache directory (the Bayes model, the disciplines' vectors).

Each is only a shortcut: written aside and renamed, so a crash mid-write never leaves a half
file to be trusted, and a disk that refuses the write costs the next start its rebuild, no more.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

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
