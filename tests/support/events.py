"""Read the events a gateway wrote (the outbox webhooks will deliver from)."""

from __future__ import annotations

import asyncio
from typing import Any

from local_gateway.store import events as event_store
from local_gateway.store.db import Database
from tests.support.gateway_process import GatewayProcess


def database_url(gw: GatewayProcess) -> str:
    return gw.env.get("MG_DATABASE_URL") or f"sqlite:///{gw.data_dir / 'gateway.db'}"


def read_events(gw: GatewayProcess, developer_id: str, *types: str) -> list[dict[str, Any]]:
    async def run() -> list[dict[str, Any]]:
        db = Database(database_url(gw))
        try:
            async with db.read() as session:
                return await event_store.events_of(session, developer_id, list(types) or None)
        finally:
            await db.close()

    return asyncio.run(run())


def read_thread_events(gw: GatewayProcess, developer_id: str, thread_id: str) -> list[dict[str, Any]]:
    """One thread's events in sequence order, as a webhook deliverer reads them."""

    async def run() -> list[dict[str, Any]]:
        db = Database(database_url(gw))
        try:
            async with db.read() as session:
                return await event_store.thread_events(session, developer_id, thread_id)
        finally:
            await db.close()

    return asyncio.run(run())
