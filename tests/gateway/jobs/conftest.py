"""A migrated database of each kind for the job-queue tests, emptied before every test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from local_gateway.services.core.clock import Clock
from local_gateway.services.jobs import JobQueue
from local_gateway.store import migrate
from local_gateway.store.db import Database
from tests.support.gateway_process import create_pg_database, drop_pg_database


@pytest.fixture(scope="module")
def jobs_pg_url() -> Iterator[str]:
    url = create_pg_database()
    migrate.upgrade(url)
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture(params=["sqlite", "postgres"])
def jobs_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'jobs.db'}"
        migrate.upgrade(url)
        return url
    return str(request.getfixturevalue("jobs_pg_url"))


@pytest.fixture
async def db(jobs_url: str) -> AsyncIterator[Database]:
    database = Database(jobs_url)
    async with database.write() as session:
        await session.execute(text("DELETE FROM jobs"))
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def clock() -> Clock:
    return Clock(source=lambda: 1_800_000_000.0)


@pytest.fixture
def queue(db: Database, clock: Clock) -> JobQueue:
    return JobQueue(db, clock)
