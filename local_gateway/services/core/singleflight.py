"""Concurrent requests for the same missing value share one lookup.

When a cached entry (an API key, a balance) expires on a busy gateway, every request in flight
misses it at once; without this they would each open a database connection for the same row.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from functools import partial
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    def __init__(self) -> None:
        self._calls: dict[K, asyncio.Task[V]] = {}

    async def run(self, key: K, fetch: Callable[[], Awaitable[V]]) -> V:
        """``await fetch()``, or join the call for ``key`` already running; errors are shared too.

        The call runs as its own task: a caller that is cancelled leaves it running for the others.
        """
        task = self._calls.get(key)
        if task is None:
            task = asyncio.ensure_future(fetch())
            self._calls[key] = task
            task.add_done_callback(partial(self._finished, key))
        return await asyncio.shield(task)

    def _finished(self, key: K, task: asyncio.Task[V]) -> None:
        if self._calls.get(key) is task:
            del self._calls[key]
        if not task.cancelled():
            task.exception()  # mark it retrieved even when every caller went away
