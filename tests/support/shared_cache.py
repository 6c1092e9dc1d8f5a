"""One cache directory for a whole test run, never the developer's own ``~/.cache/mg``.

What the gateway caches is keyed by content (Monster-GPT's index, Bayes model and vectors), so
every gateway a test starts, in process or as a subprocess, loads it instead of building it
again. Tests of the cache itself pass a ``cache_dir`` of their own.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import cache
from pathlib import Path


@cache
def cache_home() -> Path:
    """The run's ``XDG_CACHE_HOME`` (the gateway's cache is its ``mg`` folder); removed at exit."""
    path = Path(tempfile.mkdtemp(prefix="mg-test-cache-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path
