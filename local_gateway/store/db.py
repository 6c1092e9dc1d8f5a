"""The async engine and the session discipline.

SQLite allows one writer at a time, so writes are serialised through one lock here instead of
surfacing ``database is locked`` under load; reads fan out. PostgreSQL needs no such lock.

Hot write paths (the request log) use :meth:`Database.write_sync`: on SQLite the whole
transaction runs in one hop to a writer thread, where aiosqlite would hop to its thread and back
once per statement, commit and pool reset (about a millisecond per transaction).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

T = TypeVar("T")
# What services hold while they call store functions; they never import SQLAlchemy themselves.
Session = AsyncSession


class Conflict(Exception):
    """A write broke a unique or foreign-key constraint (a concurrent writer got there first)."""


def async_url(url: str) -> str:
    """Pick the async driver for the usual URL forms (``postgresql://``, ``sqlite:///``)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif backend == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    else:
        raise ValueError(f"unsupported database URL scheme {parsed.drivername!r}")
    return parsed.render_as_string(hide_password=False)


def sync_url(url: str) -> str:
    """The URL Alembic migrates with (it runs synchronously over the async driver)."""
    return async_url(url)


# SQLite's page cache, per connection, in KiB (a negative cache_size). Its default, 2,000 KiB,
# fills as the request log grows and, times the writer's and the pool's connections, was some
# 3 MiB of a gateway's RSS after a few thousand requests; the pages stay in the OS file cache.
SQLITE_CACHE_KIB = 512


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # NORMAL in WAL mode is durable against a process crash (kill -9); only an OS crash could
    # lose the last transactions, and FULL would cost an fsync per commit.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.close()


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        full = async_url(url)
        self.is_sqlite = full.startswith("sqlite")
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            path = make_url(full).database
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        else:
            kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(full, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        self._sync_engine: Engine | None = None
        self._writer: ThreadPoolExecutor | None = None
        self._writer_conn: Connection | None = None
        if self.is_sqlite and make_url(full).database not in (None, "", ":memory:"):
            self._sync_engine = create_engine(make_url(full).set(drivername="sqlite+pysqlite"))
            event.listen(self._sync_engine, "connect", _sqlite_pragmas)
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A session whose transaction commits on exit (rolls back on error)."""
        try:
            if self._write_lock is None:
                async with self._sessions() as session, session.begin():
                    yield session
                return
            async with self._write_lock, self._sessions() as session, session.begin():
                yield session
        except IntegrityError as exc:
            raise Conflict(str(exc.orig)) from exc

    async def write_sync(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn(connection)`` (SQLAlchemy Core, synchronous) in one transaction that commits.

        On a SQLite file it runs on the writer thread (one hop for the whole transaction);
        otherwise on the async driver through ``run_sync``. ``fn`` must not touch the event loop.
        """
        if self._sync_engine is None or self._writer is None:
            async with self.engine.begin() as conn:
                return await conn.run_sync(fn)
        assert self._write_lock is not None
        async with self._write_lock:
            return await asyncio.get_running_loop().run_in_executor(self._writer, self._in_transaction, fn)

    def _in_transaction(self, fn: Callable[[Connection], T]) -> T:
        # The writer thread keeps one connection: no pool checkout, and no reset, per batch.
        if self._writer_conn is None:
            assert self._sync_engine is not None
            self._writer_conn = self._sync_engine.connect()
        with self._writer_conn.begin():
            return fn(self._writer_conn)

    async def close(self) -> None:
        await self.engine.dispose()
        if self._writer is not None:
            if self._writer_conn is not None:
                await asyncio.get_running_loop().run_in_executor(self._writer, self._writer_conn.close)
            self._writer.shutdown(wait=True)
        if self._sync_engine is not None:
            self._sync_engine.dispose()
