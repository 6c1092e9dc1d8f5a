"""Telling every gateway process that a key stopped working, so none serves it from its cache.

Each process caches key checks for a few seconds. Revoking or rotating a key drops this
process's cache at once; with ``MG_REDIS_URL`` a pub/sub message drops every other process's
cache too. Without Redis, separate processes stop accepting the key when their cache entry
expires (``AUTH_CACHE_TTL``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger("mg.gateway.keys")


class Revocations:
    """In-process only: nothing to tell."""

    async def announce(self, key_id: str) -> None:
        return None

    def start(self, drop: Callable[[], None]) -> None:
        return None

    async def close(self) -> None:
        return None


class RedisRevocations(Revocations):
    def __init__(self, url: str, prefix: str = "mg:") -> None:
        from redis.asyncio import Redis

        self.channel = f"{prefix}keys:revoked"
        self.redis: Any = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        # The subscriber waits for messages indefinitely, so no read timeout; a health check
        # every 15 s notices a dead connection instead.
        self.listener: Any = Redis.from_url(
            url, socket_connect_timeout=5, socket_keepalive=True, health_check_interval=15
        )
        self._task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()

    async def announce(self, key_id: str) -> None:
        try:
            await self.redis.publish(self.channel, key_id)
        except Exception:  # the revocation is committed; other processes catch up within the TTL
            log.exception(
                "could not announce the revocation of %s; other processes follow within 5 s", key_id
            )

    def start(self, drop: Callable[[], None]) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._listen(drop))

    async def _listen(self, drop: Callable[[], None]) -> None:
        while True:
            try:
                async with self.listener.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    # A message missed while (re)connecting would leave a stale entry: start clean.
                    drop()
                    self.ready.set()
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            drop()
            except asyncio.CancelledError:
                raise
            except Exception:
                self.ready.clear()
                log.warning("key revocation channel lost; reconnecting in 1 s", exc_info=True)
                drop()
                await asyncio.sleep(1.0)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for client in (self.redis, self.listener):
            with contextlib.suppress(Exception):
                await client.aclose()
