"""The crash tables the migration builds are the ones the models describe (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from local_gateway.store import crash_tables, tables  # noqa: F401  (registers the tables compared)
from local_gateway.store.db import Database
from local_gateway.store.migrate import upgrade_async


async def test_the_migration_builds_the_tables_the_models_describe(
    database_url: str | None, tmp_path: Any
) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    url = database_url or f"sqlite:///{tmp_path / 'schema.db'}"
    await upgrade_async(url)
    db = Database(url)

    def compare(conn: Any) -> list[Any]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))

    try:
        async with db.engine.connect() as conn:
            diff = await conn.run_sync(compare)
    finally:
        await db.close()
    names = ("crash_reports", "crash_groups", "crash_group_games", "crash_missing_symbols", "debug_sessions")
    assert [d for d in diff if any(n in repr(d) for n in names)] == []
