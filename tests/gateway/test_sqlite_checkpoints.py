"""SQLite's WAL is copied back into the database by a thread of its own, not inside commits.

A commit that crossed the automatic checkpoint's threshold used to copy and fsync the log itself
while every request behind it waited; the log must still stay small without that.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from pathlib import Path

from local_gateway.store.db import AUTOCHECKPOINT_BACKSTOP, Database

BURST_BYTES = 1_200_000  # 300 log pages a burst
ROW = b"x" * 40_000


def _burst(conn) -> None:  # type: ignore[no-untyped-def]
    conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS payload (b BLOB)")
    for _ in range(BURST_BYTES // len(ROW)):
        conn.exec_driver_sql("INSERT INTO payload (b) VALUES (?)", (ROW,))


async def test_the_log_stays_small_while_commits_never_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "gateway.db"
    db = Database(f"sqlite:///{path}")
    try:
        wal = Path(f"{path}-wal")
        largest = 0
        for _ in range(10):  # 12 MB through the log, a burst every 0.3 s as a busy gateway would
            await db.write_sync(_burst)
            largest = max(largest, wal.stat().st_size)
            await asyncio.sleep(0.3)
        await asyncio.sleep(0.5)
        assert db.checkpointer is not None and db.checkpointer.checkpoints >= 5
        # Without the checkpointer the log would hold all 12 MB (the commits' own threshold is
        # AUTOCHECKPOINT_BACKSTOP pages, 40 MiB); with it, about a burst or two.
        assert AUTOCHECKPOINT_BACKSTOP * 4096 > 12 * BURST_BYTES
        assert largest < 4 * BURST_BYTES, f"WAL grew to {largest} bytes"
        with sqlite3.connect(path) as check:
            busy, in_log, copied = check.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            assert busy == 0 and in_log == copied  # everything committed is in the database file
            rows = check.execute("SELECT count(*) FROM payload").fetchone()[0]
            assert rows == 10 * (BURST_BYTES // len(ROW))
    finally:
        await db.close()
    assert not [t for t in threading.enumerate() if t.name == "sqlite-checkpointer"]


async def test_an_idle_database_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "idle.db"
    db = Database(f"sqlite:///{path}")
    try:
        await asyncio.sleep(0.5)
        assert db.checkpointer is not None and db.checkpointer.checkpoints == 0
        assert not os.path.exists(path)  # it opens nothing before the first write
    finally:
        await db.close()
