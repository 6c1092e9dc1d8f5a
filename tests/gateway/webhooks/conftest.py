"""In-process webhook delivery on a migrated database of each kind, with a clock tests move, a
job runner, and a real receiver process."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from local_gateway.services.accounts.keys import KeyService, Principal
from local_gateway.services.core.clock import Clock
from local_gateway.services.core.ids import new_id
from local_gateway.services.jobs import JobQueue, JobRunner
from local_gateway.services.webhooks import Deliverer, Dispatcher, WebhookService
from local_gateway.services.webhooks.params import parse_create
from local_gateway.store import events as event_store
from local_gateway.store import migrate
from local_gateway.store.db import Database
from local_gateway.store.events import NewEvent
from local_gateway.store.webhooks import EndpointRecord
from tests.support.gateway_process import create_pg_database, drop_pg_database
from tests.support.webhook_receiver import Receiver, running_receiver


@pytest.fixture(scope="module")
def receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Receiver]:
    with running_receiver(tmp_path_factory.mktemp("receiver")) as r:
        yield r


@pytest.fixture(scope="module")
def wh_pg_url() -> Iterator[str]:
    url = create_pg_database()
    migrate.upgrade(url)
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture(params=["sqlite", "postgres"])
def wh_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'wh.db'}"
        migrate.upgrade(url)
        return url
    return str(request.getfixturevalue("wh_pg_url"))


@dataclass
class World:
    db: Database
    clock: Clock
    queue: JobQueue
    deliverer: Deliverer
    dispatcher: Dispatcher
    service: WebhookService
    runner: JobRunner
    principal: Principal
    receiver: Receiver
    rand: list[float]

    async def endpoint(self, path: str = "/ok", events: list[str] | None = None) -> EndpointRecord:
        spec = parse_create({"url": self.receiver.url + path, "events": events or ["*"]})
        return await self.service.create(self.principal, spec)

    async def emit(self, kind: str, thread_id: str | None = None, **data: Any) -> str:
        event_id = new_id("evt")
        async with self.db.write() as session:
            body = {"thread_id": thread_id, **data} if thread_id else data
            await event_store.append(
                session,
                self.principal.developer_id,
                [NewEvent(event_id, kind, body, self.clock.now(), thread_id)],
            )
        return event_id

    async def settle(self) -> None:
        """Dispatch what is in the outbox and run every job that is due now."""
        await self.dispatcher.drain()
        await self.runner.idle()

    async def deliveries(self, **filters: Any) -> list[Any]:
        views, _ = await self.service.deliveries(self.principal.developer_id, limit=200, **filters)
        return [v.delivery for v in views]


@pytest.fixture
async def world(wh_url: str, receiver: Receiver) -> AsyncIterator[World]:
    db = Database(wh_url)
    async with db.write() as session:
        for table in ("jobs", "webhook_attempts", "webhook_deliveries"):
            await session.execute(text(f"DELETE FROM {table}"))
        await session.execute(
            text("UPDATE events SET dispatched_at = created_at WHERE dispatched_at IS NULL")
        )
    clock = Clock()
    rand = [0.5]  # the jitter's random number: 0.5 is the schedule exactly
    queue = JobQueue(db, clock)
    deliverer = Deliverer(db, clock, queue, timeout=1.0, rand=lambda: rand[0])
    dispatcher = Dispatcher(db, clock, deliverer)
    service = WebhookService(db, clock, deliverer, dispatcher)
    new = await KeyService(db, clock).create_key(f"wh-{secrets.token_hex(4)}@example.com", tier="studio")
    runner = JobRunner(queue, poll_interval=0.05, concurrency=4)
    runner.start()
    receiver.clear()
    try:
        yield World(
            db,
            clock,
            queue,
            deliverer,
            dispatcher,
            service,
            runner,
            Principal(new.key, new.developer),
            receiver,
            rand,
        )
    finally:
        await runner.stop()
        await db.close()


async def until(check: Callable[[], Any], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.02)
