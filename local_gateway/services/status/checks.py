"""``GET /v1/health``: each subsystem checked for real, with a deadline, on every call.

The database is essential (unhealthy, 503, without it); the cache and the blob store only degrade
the gateway (some features fail, the API still answers).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable
from typing import Any

from local_gateway.store import status as store
from local_gateway.store.blobs import BlobStore
from local_gateway.store.db import Database

DEADLINE = 3.0
_NO_BLOB = "0" * 64


def _error(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer within {DEADLINE:g} s"
    # The first line only: a driver's message may go on with SQL or a traceback.
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200] or type(exc).__name__


async def _timed(check: Awaitable[Any]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(check, DEADLINE)
    except Exception as exc:
        return {"status": "down", "error": _error(exc)}
    return {"status": "ok", "latency_ms": round((time.perf_counter() - started) * 1000, 1)}


async def database(db: Database) -> dict[str, Any]:
    result = await _timed(store.ping(db))
    return dict(result, backend="sqlite" if db.is_sqlite else "postgresql")


async def cache(redis_url: str) -> dict[str, Any]:
    async def ping() -> None:
        from redis.asyncio import Redis

        client = Redis.from_url(redis_url, socket_connect_timeout=DEADLINE, socket_timeout=DEADLINE)
        try:
            await client.ping()
        finally:
            await client.aclose()

    return dict(await _timed(ping()), backend="redis")


async def _one_chunk() -> AsyncIterator[bytes]:
    yield b"mg health probe"


async def blob_store(blobs: BlobStore) -> dict[str, Any]:
    async def probe() -> None:
        # Stage and discard: proves the store takes writes without keeping anything.
        staged = await blobs.stage(_one_chunk(), 1024)
        await blobs.discard(staged)
        await blobs.exists(_NO_BLOB)

    return dict(await _timed(probe()), backend=type(blobs).__name__.removesuffix("BlobStore").lower())


def overall(subsystems: dict[str, dict[str, Any]]) -> str:
    if subsystems["database"]["status"] != "ok":
        return "unhealthy"
    if any(s["status"] != "ok" for s in subsystems.values()):
        return "degraded"
    return "healthy"
