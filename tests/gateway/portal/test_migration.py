"""Migration 0013_portal builds what the models describe, and keeps existing developers able to
use the API (they count as having accepted the terms)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from local_gateway.store import migrate, portal_tables, tables
from local_gateway.store.db import Database
from tests.support.gateway_process import query_database

AT = "2026-01-01 00:00:00.000000"


async def test_the_migration_builds_the_tables_the_models_describe(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    assert portal_tables.MagicLink.__tablename__ and tables.Developer.__tablename__  # registered

    url = f"sqlite:///{tmp_path / 'gw.db'}"
    await migrate.upgrade_async(url)

    def compare(conn: Any) -> list[Any]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))

    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            diff = await conn.run_sync(compare)
    finally:
        await db.close()
    assert [
        d for d in diff if "magic_links" in repr(d) or "portal_sessions" in repr(d) or "tos_" in repr(d)
    ] == []


def test_developers_from_before_count_as_accepted(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url, "0001_base")
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO developers (id, email, tier, created_at) VALUES ('dev_1', 'a@b.c', 'free', ?)", [AT]
        )
    migrate.upgrade(url)
    [row] = query_database(path, "SELECT tos_accepted_at FROM developers")
    assert row["tos_accepted_at"] is not None
