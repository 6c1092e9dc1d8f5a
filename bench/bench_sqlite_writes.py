"""The request log's commits on SQLite: what a batch costs and how long its requests wait.

In-process, through the gateway's own write path (``Database.write_sync`` and the request-log
batch: log rows, ledger debits, daily aggregates), on a temporary database migrated to the
current schema and grown by ``--rows`` rows first. Two set-ups, interleaved round by round:

- ``inline``: how it was before issue #14's fourth step: SQLite's automatic checkpoint inside the
  commit that crosses 1,000 log pages, and the two request-log indexes no query reads;
- ``current``: the code as it is: checkpoints on the :class:`~local_gateway.store.db.Checkpointer`
  thread, the four indexes the log's pages read.

For batches of 1 row (a sequential client) and of 16 (16 requests in flight), it reports the
commit wait p50 / p99 (what a request waits for its row) and the process CPU per row, medians
of ``--rounds`` rounds.

Run: ``.venv/bin/python bench/bench_sqlite_writes.py [--rows N] [--commits N] [--rounds N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from local_gateway.services.billing.request_log import LogEntry  # noqa: E402
from local_gateway.store import accounts  # noqa: E402
from local_gateway.store import request_log as request_rows  # noqa: E402
from local_gateway.store.db import Database  # noqa: E402
from local_gateway.store.migrate import upgrade_async  # noqa: E402

DEV = "dev_bench_writes"
OLD_INDEXES = (
    "CREATE INDEX ix_request_log_request_id ON request_log (request_id)",
    "CREATE INDEX ix_request_log_dev_time ON request_log (developer_id, created_at)",
)
_n = 0


def _entries(k: int) -> list[LogEntry]:
    global _n
    out = []
    for _ in range(k):
        _n += 1
        entry = LogEntry(
            f"req_{_n:020x}", DEV, "key_bench", "/v1/chat/completions", 200, datetime.now(UTC),
            model="gpt-4o-mini", provider="openai", prompt_tokens=24, completion_tokens=13,
            cost_micros=7, latency_ms=3.8, charge_micros=7,
        )  # fmt: skip
        out.append(entry)
    return out


async def _database(path: Path, setup: str, rows: int) -> Database:
    url = f"sqlite:///{path}"
    await upgrade_async(url)
    db = Database(url)
    async with db.write() as session:
        await accounts.add_developer(session, DEV, "writes@example.com", "studio", datetime.now(UTC))
    if setup == "inline":
        assert db.checkpointer is not None
        db.checkpointer.stop()
        db.checkpointer = None

        def old_schema(conn) -> None:  # type: ignore[no-untyped-def]
            conn.exec_driver_sql("PRAGMA wal_autocheckpoint=1000")
            for sql in OLD_INDEXES:
                conn.exec_driver_sql(sql)

        await db.write_sync(old_schema)
    for _ in range(rows // 500):
        batch = _entries(500)
        await db.write_sync(lambda conn, b=batch: request_rows.insert_batch(conn, b))  # type: ignore[misc]
    return db


async def _measure(db: Database, k: int, commits: int) -> tuple[float, float, float]:
    waits = []
    cpu0 = time.process_time()
    for _ in range(commits):
        batch = _entries(k)
        t0 = time.perf_counter()
        await db.write_sync(lambda conn, b=batch: request_rows.insert_batch(conn, b))  # type: ignore[misc]
        waits.append(time.perf_counter() - t0)
    cpu = (time.process_time() - cpu0) / (commits * k) * 1e6
    waits.sort()
    return waits[len(waits) // 2] * 1e3, waits[int(len(waits) * 0.99)] * 1e3, cpu


async def main_async(args: argparse.Namespace) -> None:
    results: dict[tuple[str, int], list[tuple[float, float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="mg-bench-writes-") as tmp:
        dbs = {s: await _database(Path(tmp) / f"{s}.db", s, args.rows) for s in ("inline", "current")}
        try:
            for _ in range(args.rounds):
                for k in (1, 16):
                    for setup, db in dbs.items():
                        results.setdefault((setup, k), []).append(await _measure(db, k, args.commits // k))
        finally:
            for db in dbs.values():
                await db.close()
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    print(f"\nrequest-log commits on SQLite, {args.rows:,} rows first, medians of {args.rounds} rounds, "
          f"load {' '.join(load)}")  # fmt: skip
    print("| set-up | rows per commit | commit wait p50 | p99 | process CPU per row |")
    print("|---|---|---|---|---|")
    for (setup, k), runs in sorted(results.items(), key=lambda item: (item[0][1], item[0][0])):
        p50, p99, cpu = (statistics.median(r[i] for r in runs) for i in range(3))
        print(f"| {setup} | {k} | {p50:.3f} ms | {p99:.2f} ms | {cpu:.0f} µs |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000, help="rows in the log before measuring")
    parser.add_argument("--commits", type=int, default=3_000, help="rows committed per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
