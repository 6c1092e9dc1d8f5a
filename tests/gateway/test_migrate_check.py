"""The schema check that lets a started gateway skip Alembic when nothing is to be migrated."""

from __future__ import annotations

from pathlib import Path

import pytest

from local_gateway.store import migrate


def _script(folder: Path, revision: str, down: str | None) -> None:
    down_text = repr(down) if down else "None"
    body = f'revision: str = "{revision}"\ndown_revision: str | None = {down_text}\n'
    (folder / f"{revision}.py").write_text(body + "\n\ndef upgrade() -> None:\n    pass\n")


def test_heads_of_branches_that_share_the_base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    _script(versions, "0001_base", None)
    _script(versions, "0002_threads", "0001_base")
    _script(versions, "0003_symbols", "0001_base")
    monkeypatch.setattr(migrate, "MIGRATIONS", tmp_path)
    assert migrate.script_heads() == {"0002_threads", "0003_symbols"}


def test_a_script_that_cannot_be_read_means_migrate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "0009_odd.py").write_text("revision = make_revision()\n")
    monkeypatch.setattr(migrate, "MIGRATIONS", tmp_path)
    assert migrate.script_heads() is None


async def test_fresh_database_then_current(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gw.db'}"
    assert await migrate.database_heads(url) is None
    await migrate.upgrade_async(url)
    assert await migrate.database_heads(url) == migrate.script_heads()
    await migrate.upgrade_async(url)  # current: returns without a child process


async def test_a_failed_migration_says_why(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="database migration failed"):
        await migrate.upgrade_async(f"sqlite:///{tmp_path / 'missing-dir' / 'sub' / 'gw.db'}")
