"""Every test gets a clean environment and a temporary home; gateways are real processes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.gateway_process import (
    GatewayProcess,
    create_pg_database,
    drop_pg_database,
    running_gateway,
)
from tests.support.s3_server import S3Server, free_port
from tests.support.shared_cache import cache_home


@pytest.fixture(autouse=True)
def clean_environ(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    for name in list(os.environ):
        if name.startswith(("MG_", "OPENAI_", "ANTHROPIC_", "DEEPSEEK_", "GEMINI_", "XDG_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache_home()))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    return home


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """One moto S3 server for the session; tests take their own bucket (``new_bucket``)."""
    server = S3Server(free_port()).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None (SQLite in the data dir), then a fresh PostgreSQL database of the test's own."""
    if request.param == "sqlite":
        yield None
        return
    url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def gateway(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    """A real gateway process, once on SQLite and once on PostgreSQL."""
    data_dir = tmp_path_factory.mktemp(f"gw-{request.param}")
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    with running_gateway(data_dir, url) as gw:
        yield gw


@pytest.fixture(scope="module")
def sqlite_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    """A real gateway process on SQLite only, for tests whose subject is not the database."""
    with running_gateway(tmp_path_factory.mktemp("gw-sqlite")) as gw:
        yield gw


@pytest.fixture(scope="module")
def api_key(gateway: GatewayProcess) -> str:
    return gateway.create_key(tier="studio")["api_key"]
