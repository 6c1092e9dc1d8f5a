"""Libraries imported on first use, for the few code paths that need them.

numpy serves NPC memory recall only, yet imported up front it costs every gateway process about
16 MiB of RSS, whether or not a game ever uses NPC threads.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands in for a module and imports it at the first attribute access."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        if self._module is None:
            self._module = importlib.import_module(self._name)
        value = getattr(self._module, attr)
        setattr(self, attr, value)  # later lookups are plain attribute reads
        return value
