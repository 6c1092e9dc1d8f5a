"""Create and upgrade the schema with Alembic (never ``create_all`` at run time).

:func:`upgrade_async` first compares the database's ``alembic_version`` with the heads of the
migration scripts (read with ``ast``, without importing Alembic) and returns at once when they
match, which is every start but the first after an upgrade. When there is something to do it
migrates in a child process, so that Alembic, Mako and the scripts never load into the
long-running gateway: about 12 MiB of RSS it would otherwise carry for good.
"""

from __future__ import annotations

import ast
import asyncio
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
# Internal to the parent and its child; the URL travels in the environment (argv is visible to ps).
_URL_VARIABLE = "LOCAL_GATEWAY_MIGRATE_URL"


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "heads") -> None:
    """Bring the database at ``url`` to the newest schema (every branch head), in this process."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


async def upgrade_async(url: str) -> None:
    """:func:`upgrade`, unless the schema is already current; run in a child process."""
    heads = script_heads()
    if heads is not None and await database_heads(url) == heads:
        return
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "local_gateway.store.migrate",
        env={**os.environ, _URL_VARIABLE: url},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    if proc.returncode != 0:
        lines = err.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(
            "database migration failed: " + (lines[-1] if lines else f"exit {proc.returncode}")
        )


def script_heads() -> set[str] | None:
    """The head revisions of the migration scripts; None when a script is not plain enough to read."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        values: dict[str, Any] = {}
        for node in ast.parse(path.read_text("utf-8")).body:
            target: ast.expr
            value: ast.expr | None
            if isinstance(node, ast.AnnAssign):
                target, value = node.target, node.value
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            else:
                continue
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision") and value:
                try:
                    values[target.id] = ast.literal_eval(value)
                except ValueError:
                    return None
        revision, down = values.get("revision"), values.get("down_revision")
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        parents.update([down] if isinstance(down, str) else list(down or ()))
    return revisions - parents or None


async def database_heads(url: str) -> set[str] | None:
    """The revisions recorded in the database; None when it has no schema yet (or is unreachable)."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from local_gateway.store.db import async_url

    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT version_num FROM alembic_version"))
            return {row[0] for row in rows}
    except Exception:  # no table yet, or no database: let the migration say what is wrong
        return None
    finally:
        await engine.dispose()


if __name__ == "__main__":
    upgrade(os.environ[_URL_VARIABLE])
