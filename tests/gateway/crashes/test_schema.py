"""The crash tables the migration builds are the ones the models describe (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from tests.support.schema import migrated_schema_diff


async def test_the_migration_builds_the_tables_the_models_describe(
    database_url: str | None, tmp_path: Any
) -> None:
    diff = await migrated_schema_diff(database_url or f"sqlite:///{tmp_path / 'schema.db'}")
    names = ("crash_reports", "crash_groups", "crash_group_games", "crash_missing_symbols", "debug_sessions")
    assert [d for d in diff if any(n in repr(d) for n in names)] == []
