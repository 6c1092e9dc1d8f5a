"""A migrated SQLite database for the billing services, driven in-process (no HTTP)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from local_gateway.store import migrate


@pytest.fixture(scope="module")
def billing_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path: Path = tmp_path_factory.mktemp("billing") / "gateway.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    yield url
