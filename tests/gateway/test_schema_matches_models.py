"""The migrations build exactly the schema the models describe, every table and index, on both
databases: a model's index without its migration (or the reverse) is a difference here."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import local_gateway.store as store
from local_gateway.store.db import Database
from local_gateway.store.migrate import upgrade_async


async def test_migrated_schema_equals_the_models(database_url: str | None, tmp_path: Path) -> None:
    for module in pkgutil.iter_modules(store.__path__):
        if module.name.endswith("tables"):
            importlib.import_module(f"{store.__name__}.{module.name}")
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
    assert "request_log" in SQLModel.metadata.tables
    assert diff == []


async def test_request_rows_keep_only_the_indexes_queries_read(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'indexes.db'}"
    await upgrade_async(url)
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            rows = await conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'request_log'"
            )
            names = {r[0] for r in rows}
    finally:
        await db.close()
    assert names == {
        "ix_request_log_dev_id", "ix_request_log_dev_model_id", "ix_request_log_dev_status_id",
        "ix_request_log_time",
    }  # fmt: skip
