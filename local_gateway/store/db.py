"""The async engine and the session discipline.

SQLite allows one writer at a time, so writes are serialised through one lock here instead of
surfacing ``database is locked`` under load; reads fan out. PostgreSQL needs no such lock.

Hot write paths (the request log) use :meth:`Database.write_sync`: on SQLite the whole
transaction runs in one hop to a writer thread, where aiosqlite would hop to its thread and back
once per statement, commit and pool reset (about a millisecond per transaction).

WAL checkpoints run on a thread of their own (:class:`Checkpointer`), not inside commits: SQLite's
automatic checkpoint copies the log back into the database and fsyncs it in whichever commit
crosses 1,000 log pages, so one request in ~100 waited for the disk and held up every write
queued behind it. The automatic one stays on, ten times further out, as a backstop.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
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
log = logging.getLogger(__name__)
# Log pages (4 KiB) before a commit checkpoints by itself: only if the checkpointer falls behind.
AUTOCHECKPOINT_BACKSTOP = 10_000
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
    cursor.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_BACKSTOP}")
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.close()


class Checkpointer:
    """Copies the WAL back into a SQLite file off the write path, shortly after writes.

    Woken by :meth:`wrote` (an ``Event.set``, cheap enough for every commit); it then waits
    ``interval`` so that one checkpoint covers many commits, and runs a PASSIVE checkpoint on its
    own connection: it never blocks writers or readers, and what it cannot copy yet (a reader still
    on an old snapshot) is copied the next time. Idle, it sleeps without waking.
    """

    def __init__(self, path: str, interval: float = 0.2) -> None:
        self.path = path
        self.interval = interval
        self.checkpoints = 0
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpointer", daemon=True)
        self._thread.start()

    def wrote(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while True:
                self._wake.wait()
                # The pause batches commits into one checkpoint; a stop cuts it short.
                if self._stopping.wait(self.interval):
                    return
                self._wake.clear()
                try:
                    if conn is None:  # opened on the first write: the file exists by then
                        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                        conn.execute("PRAGMA busy_timeout=10000")
                        conn.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    self.checkpoints += 1
                except sqlite3.Error:  # a lock or the disk: the next write wakes us again
                    log.warning("WAL checkpoint of %s failed", self.path, exc_info=True)
        finally:
            if conn is not None:
                conn.close()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout=5)


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
        self.checkpointer: Checkpointer | None = None
        file = make_url(full).database
        if self.is_sqlite and file not in (None, "", ":memory:"):
            assert file is not None
            self._sync_engine = create_engine(make_url(full).set(drivername="sqlite+pysqlite"))
            event.listen(self._sync_engine, "connect", _sqlite_pragmas)
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")
            self.checkpointer = Checkpointer(file)

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
            if self.checkpointer is not None:
                self.checkpointer.wrote()
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
            result = fn(self._writer_conn)
        if self.checkpointer is not None:
            self.checkpointer.wrote()
        return result

    async def close(self) -> None:
        await self.engine.dispose()
        if self._writer is not None:
            if self._writer_conn is not None:
                await asyncio.get_running_loop().run_in_executor(self._writer, self._writer_conn.close)
            self._writer.shutdown(wait=True)
        if self.checkpointer is not None:
            self.checkpointer.stop()
        if self._sync_engine is not None:
            self._sync_engine.dispose()
