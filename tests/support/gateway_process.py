"""Real gateway processes for tests: a free port, a temp data dir, SQLite or PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Coroutine, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

from tests.support.shared_cache import cache_home

T = TypeVar("T")
PG_ADMIN_URL = os.environ.get("MG_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
# Provider credentials of the machine running the tests must never reach a test gateway.
_FOREIGN_ENV = ("MG_", "OPENAI_", "ANTHROPIC_", "DEEPSEEK_", "GEMINI_", "GOOGLE_", "MISTRAL_", "XAI_")
_FOREIGN_ENV += ("GROQ_", "TOGETHER_", "OPENROUTER_")


def create_pg_database() -> str:
    """A fresh PostgreSQL database for one test session; returns its URL."""
    import asyncpg

    name = f"mg_t_{secrets.token_hex(6)}"

    async def run() -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(run())
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_pg_database(url: str) -> None:
    import asyncpg

    name = url.rsplit("/", 1)[1]

    async def run() -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(run())


# What the gateway logs once its embedder's warm-up is over (loaded, or fallen back for good).
EMBEDDER_LINES = ("for local embeddings", "cannot load all-minilm-l6-v2")


@dataclass
class GatewayProcess:
    data_dir: Path
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    url: str = ""
    serve_args: list[str] = field(default_factory=lambda: ["--port", "0"])
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.data_dir / "test-gateway.log"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def start(self, timeout: float = 90.0) -> GatewayProcess:
        ready = self.data_dir / f"ready-{secrets.token_hex(4)}.json"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "local_gateway", "serve", *self.serve_args, "--ready-file", str(ready)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while not ready.exists():
            if self.proc.poll() is not None:
                raise RuntimeError(f"gateway exited early:\n{self.log()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"gateway did not start in {timeout}s:\n{self.log()}")
            time.sleep(0.05)
        self.url = json.loads(ready.read_text())["url"]
        self._wait_for_embedder(deadline)
        return self

    def _wait_for_embedder(self, deadline: float) -> None:
        """Wait for the warm-up thread's MiniLM (well under a second): until it is in, the gateway
        embeds with hashed n-grams, so an NPC memory stored in that window would be in another
        vector space than the question that should recall it."""
        if self.env.get("MG_EMBEDDER", "auto").lower() in ("hashed", "hashed-ngrams"):
            return
        while not any(line in self.log() for line in EMBEDDER_LINES):
            if self.proc is None or self.proc.poll() is not None:
                raise RuntimeError(f"gateway exited early:\n{self.log()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the gateway's embedder did not load in time:\n{self.log()}")
            time.sleep(0.05)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def admin(self, *args: str) -> dict[str, Any]:
        out = subprocess.run(
            [sys.executable, "-m", "local_gateway", "admin", *args, "--json"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if out.returncode != 0:
            raise RuntimeError(f"admin {args} failed: {out.stderr}")
        return json.loads(out.stdout)

    def create_key(
        self, email: str | None = None, tier: str = "studio", live: bool = False, rpm: int | None = None
    ) -> dict[str, Any]:
        """A new key, made straight in the gateway's database (``admin create-key`` without the
        cost of starting a process; the CLI path has its own tests)."""
        from local_gateway.services.accounts.keys import KeyService
        from local_gateway.services.core.clock import Clock
        from local_gateway.store.db import Database

        email = email or f"dev-{secrets.token_hex(4)}@example.com"

        async def run() -> dict[str, Any]:
            db = Database(self.database_url or f"sqlite:///{self.data_dir / 'gateway.db'}")
            try:
                new = await KeyService(db, Clock()).create_key(
                    email, tier=tier, environment="live" if live else "test", rpm=rpm
                )
            finally:
                await db.close()
            return {
                "api_key": new.api_key,
                "key_id": new.key.id,
                "developer_id": new.developer.id,
                "email": new.developer.email,
                "tier": new.developer.tier,
                "environment": new.key.environment,
                "rpm": rpm,
            }

        return run_async(run())

    def revoke_key(self, key_id: str) -> dict[str, Any]:
        return self.admin("revoke-key", key_id)

    def add_credit(self, email: str, amount_usd: float) -> dict[str, Any]:
        return self.admin("add-credit", "--email", email, "--amount", str(amount_usd))

    @property
    def database_url(self) -> str | None:
        return self.env.get("MG_DATABASE_URL")

    def query(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        """Rows of ``sql`` (``$1``-style parameters) read straight from the gateway's database."""
        return query_database(self.database_url or self.data_dir / "gateway.db", sql, *args)

    def client(self, api_key: str | None = None, **kwargs: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, **kwargs)


def query_database(where: str | Path, sql: str, *args: Any) -> list[dict[str, Any]]:
    """Run one query on a SQLite file or a PostgreSQL URL, outside any gateway."""
    if isinstance(where, Path):
        import re
        import sqlite3

        conn = sqlite3.connect(where)
        try:
            conn.row_factory = sqlite3.Row
            return [dict(r) for r in conn.execute(re.sub(r"\$\d+", "?", sql), args).fetchall()]
        finally:
            conn.close()
    import asyncpg

    async def run() -> list[dict[str, Any]]:
        conn = await asyncpg.connect(where)
        try:
            return [dict(r) for r in await conn.fetch(sql, *args)]
        finally:
            await conn.close()

    return run_async(run())


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync or async test code (in a thread of its own)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def gateway_env(
    data_dir: Path, database_url: str | None, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_FOREIGN_ENV)}
    env.update(
        MG_DATA_DIR=str(data_dir),
        MG_TEST_KEY_RPM="10000",
        MG_BOOTSTRAP="0",
        MG_SAVE_BOOTSTRAP_KEY="0",
        MG_ACCESS_LOG="1",
        MG_CACHE_DIR=str(cache_home() / "mg"),
        # Embedding every discipline in every test gateway would cost a second of CPU each; the
        # semantic layer is tested in-process (tests/services/test_monster_gpt.py).
        MG_CLASSIFIER_SEMANTIC="off",
        PYTHONUNBUFFERED="1",
    )
    if database_url:
        env["MG_DATABASE_URL"] = database_url
    env.update(extra or {})
    return env


@contextmanager
def running_gateway(
    data_dir: Path, database_url: str | None = None, extra_env: Mapping[str, str] | None = None
) -> Iterator[GatewayProcess]:
    gw = GatewayProcess(data_dir, gateway_env(data_dir, database_url, extra_env)).start()
    try:
        yield gw
    finally:
        gw.stop()
