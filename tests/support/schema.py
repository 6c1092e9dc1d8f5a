"""What Alembic's autogenerate sees between the migrated database at ``url`` and the models."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import local_gateway.store as store
from local_gateway.store.db import Database
from local_gateway.store.migrate import upgrade_async


async def migrated_schema_diff(url: str) -> list[Any]:
    """Migrate ``url`` to the newest schema and list its differences from every model's table."""
    for module in pkgutil.iter_modules(store.__path__):  # every *tables module registers its models
        if module.name.endswith("tables"):
            importlib.import_module(f"{store.__name__}.{module.name}")
    await upgrade_async(url)
    db = Database(url)

    def compare(conn: Any) -> list[Any]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))

    try:
        async with db.engine.connect() as conn:
            return await conn.run_sync(compare)
    finally:
        await db.close()
