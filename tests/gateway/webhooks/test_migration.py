"""Migration 0012_webhooks builds what the models describe, and marks the outbox's history."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from local_gateway.store import migrate
from local_gateway.store.db import Database
from tests.support.gateway_process import query_database

pytestmark = pytest.mark.postgres
AT = "2026-01-01 00:00:00.000000"


async def test_the_migration_builds_the_tables_the_models_describe(wh_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    def compare(conn: Any) -> list[Any]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))

    db = Database(wh_url)
    try:
        async with db.engine.connect() as conn:
            diff = await conn.run_sync(compare)
    finally:
        await db.close()
    assert [d for d in diff if "webhook" in repr(d) or "dispatched" in repr(d) or "'events'" in repr(d)] == []


def test_events_before_the_upgrade_count_as_dispatched(tmp_path: Any) -> None:
    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url, "0005_money")  # the outbox exists, webhooks do not
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO developers (id, email, tier, created_at) VALUES ('dev_1', 'a@b.c', 'free', ?)", [AT]
        )
        conn.execute(
            "INSERT INTO events (id, developer_id, type, data, created_at)"
            " VALUES ('evt_1', 'dev_1', 'x', '{}', ?)",
            [AT],
        )
    migrate.upgrade(url)
    [row] = query_database(path, "SELECT dispatched_at FROM events")
    assert row["dispatched_at"] is not None
