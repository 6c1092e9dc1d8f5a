"""mg: the game-developer toolkit and its Python SDK.

``from mg import MonsterClient`` works, but the client (and httpx) is imported only when first
asked for, so that ``import mg`` — and with it the CLI's start-up — stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"
__all__ = ["AsyncMonsterClient", "MonsterClient", "__version__"]

if TYPE_CHECKING:
    from mg.client import AsyncMonsterClient, MonsterClient


def __getattr__(name: str) -> Any:
    if name in ("MonsterClient", "AsyncMonsterClient"):
        from mg import client

        return getattr(client, name)
    raise AttributeError(f"module 'mg' has no attribute {name!r}")
