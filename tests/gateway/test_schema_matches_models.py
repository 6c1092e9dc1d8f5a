"""The migrations build exactly the schema the models describe, every table and index, on both
databases: a model's index without its migration (or the reverse) is a difference here."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import SQLModel

from local_gateway.store.db import Database
from local_gateway.store.migrate import upgrade_async
from tests.support.schema import migrated_schema_diff


async def test_migrated_schema_equals_the_models(database_url: str | None, tmp_path: Path) -> None:
    diff = await migrated_schema_diff(database_url or f"sqlite:///{tmp_path / 'schema.db'}")
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
