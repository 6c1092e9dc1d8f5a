"""Crash triage queries at scale: every read the API serves, timed at 100k crashes.

In-process against a real database (temporary SQLite by default, ``--pg URL`` for an empty
PostgreSQL database): seeds one developer with ``--crashes`` crashes (default 100 000) spread
over 30 days, 500 fingerprints of very different sizes (a few big groups, a long tail), five
platforms, four versions and three games, plus a second developer with a tenth as many (every
query must skip those); then times each query the routes run, through the store functions the
services call, ``--runs`` times each (default 15). Target: every median under 50 ms.

Run: ``bench/run crashes [--quick] [--pg URL] [--runs N]``. Prints a table and writes
.bench-out/crashes-*.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Connection, insert  # noqa: E402

from local_gateway.store import crash_stats  # noqa: E402
from local_gateway.store import crashes as store  # noqa: E402
from local_gateway.store.crash_tables import CrashCount, CrashGroup, CrashGroupGame, CrashReport  # noqa: E402
from local_gateway.store.db import Database  # noqa: E402
from local_gateway.store.migrate import upgrade_async  # noqa: E402
from local_gateway.store.tables import Developer  # noqa: E402

OUT = ROOT / ".bench-out"
PLATFORMS = ["windows", "linux", "macos", "ps5", "switch"]
VERSIONS = ["1.4.0", "1.4.1", "1.4.2", "1.5.0"]
GAMES = ["dungeon", "racer", "farm"]
STATUSES = ["new", "new", "new", "investigating", "resolved", "wont_fix"]


def _seed(conn: Connection, developer: str, count: int, now: datetime, rng: random.Random) -> None:
    conn.execute(insert(Developer).values(id=developer, email=f"{developer}@bench.example", created_at=now))
    fingerprints = [f"{n:064x}" for n in range(500)]
    weights = [1 / (i + 1) for i in range(len(fingerprints))]  # Zipf: a few big groups, a long tail
    latest: dict[str, tuple[datetime, str]] = {}
    # The running totals processing keeps per fingerprint and game (crash_group_games).
    totals: dict[tuple[str, str], dict[str, Any]] = {}
    counts: dict[tuple[str, str, str], int] = {}  # and crash_counts (all processed here)
    rows = []
    for i in range(count):
        fp = rng.choices(fingerprints, weights)[0]
        at = now - timedelta(seconds=rng.uniform(0, 30 * 86400))
        crash_id = f"crash_{developer}_{i:07d}"
        if fp not in latest or at > latest[fp][0]:
            latest[fp] = (at, crash_id)
        game, platform, version = rng.choice(GAMES), rng.choice(PLATFORMS), rng.choice(VERSIONS)
        status = rng.choice(STATUSES)
        counts[(game, status, platform)] = counts.get((game, status, platform), 0) + 1
        total = totals.setdefault((fp, game), {"count": 0, "first": at, "last": at, "p": set(), "v": set()})
        total["count"] += 1
        total["first"], total["last"] = min(total["first"], at), max(total["last"], at)
        total["p"].add(platform)
        total["v"].add(version)
        rows.append(
            dict(
                id=crash_id, developer_id=developer, source="minidump", game_id=game,
                platform=platform, version=version, engine="unreal", build=None,
                tags={}, status=status, processing="processed", fingerprint=fp,
                title=f"Function{int(fp, 16)}", crash_reason="EXCEPTION_ACCESS_VIOLATION_READ",
                minidump_sha256=f"{rng.getrandbits(256):064x}", minidump_size=250_000,
                minidump_stored=True, duplicate_of=None, regression=False,
                created_at=at, updated_at=at, processed_at=at,
            )
        )  # fmt: skip
        if len(rows) == 5000:
            conn.execute(insert(CrashReport), rows)
            rows = []
    if rows:
        conn.execute(insert(CrashReport), rows)
    groups = [
        dict(developer_id=developer, fingerprint=fp, title=f"Function{int(fp, 16)}", status="new",
             first_seen=at - timedelta(days=1), last_seen=at, latest_crash_id=crash_id)
        for fp, (at, crash_id) in latest.items()
    ]  # fmt: skip
    conn.execute(insert(CrashGroup), groups)
    conn.execute(
        insert(CrashGroupGame),
        [
            dict(developer_id=developer, fingerprint=fp, game_key=game, count=t["count"],
                 first_seen=t["first"], last_seen=t["last"], platforms=sorted(t["p"]),
                 versions=sorted(t["v"]))
            for (fp, game), t in totals.items()
        ],
    )  # fmt: skip
    conn.execute(
        insert(CrashCount),
        [
            dict(developer_id=developer, game_key=game, status=status, processing="processed",
                 platform_key=platform, count=n)
            for (game, status, platform), n in counts.items()
        ],
    )  # fmt: skip


async def _analyze(db: Database, postgres: bool) -> None:
    """Planner statistics and (PostgreSQL) the visibility map, as autovacuum keeps them."""
    from sqlalchemy import text

    if postgres:
        async with db.engine.connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text("VACUUM ANALYZE crash_reports"))
    else:
        async with db.write() as session:
            await session.execute(text("ANALYZE"))


async def _time(fn: Callable[[], Awaitable[Any]], runs: int) -> dict[str, float]:
    await fn()  # warm the caches once, as a running gateway has them
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return {"median_ms": round(statistics.median(samples), 2), "max_ms": round(max(samples), 2)}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="mg-bench-crashes-"))
    url = args.pg or f"sqlite:///{tmp / 'bench.db'}"
    await upgrade_async(url)
    db = Database(url)
    count = 10_000 if args.quick else args.crashes
    now = datetime.now(UTC)
    rng = random.Random(7)
    results: dict[str, Any] = {"database": "postgresql" if args.pg else "sqlite", "crashes": count}
    try:
        t0 = time.perf_counter()
        await db.write_sync(lambda conn: _seed(conn, "dev_bench", count, now, rng))
        await db.write_sync(lambda conn: _seed(conn, "dev_other", count // 10, now, rng))
        results["seed_s"] = round(time.perf_counter() - t0, 1)
        await _analyze(db, bool(args.pg))
        dev = "dev_bench"
        async with db.read() as session:
            page = await store.list_crashes(session, dev, 20)
            some = page[-1]
            deep = (await store.list_crashes(session, dev, 100, before=(some.created_at, some.id)))[-1]

            queries: dict[str, Callable[[], Awaitable[Any]]] = {
                "list (first page of 20)": lambda: store.list_crashes(session, dev, 21),
                "list, game + status filter": lambda: store.list_crashes(
                    session, dev, 21, filters={"game_id": "racer", "status": "investigating"}
                ),
                "list, one fingerprint": lambda: store.list_crashes(
                    session, dev, 21, filters={"fingerprint": f"{3:064x}"}
                ),
                "list, next page (cursor)": lambda: store.list_crashes(
                    session, dev, 21, before=(deep.created_at, deep.id)
                ),
                "get one crash": lambda: store.get_crash(session, dev, deep.id),
                "trends (all time)": lambda: crash_stats.trends(session, dev, limit=50),
                "trends (all time, one game)": lambda: crash_stats.trends(
                    session, dev, game_id="farm", limit=50
                ),
                "trends (last 24 hours)": lambda: crash_stats.trends(
                    session, dev, since=now - timedelta(days=1), limit=50
                ),
                "trends (last 7 days, one game)": lambda: crash_stats.trends(
                    session, dev, game_id="dungeon", since=now - timedelta(days=7), limit=50
                ),
                "stats": lambda: crash_stats.stats(session, dev, now),
            }
            results["queries"] = {name: await _time(fn, args.runs) for name, fn in queries.items()}
    finally:
        await db.close()
    results["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 000 crashes")
    parser.add_argument("--crashes", type=int, default=100_000)
    parser.add_argument("--pg", help="PostgreSQL URL of an empty database")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    results = asyncio.run(run(args))
    print(f"database  {results['database']}, {results['crashes']} crashes (seeded in {results['seed_s']} s)")
    for name, timing in results["queries"].items():
        flag = "" if timing["median_ms"] < 50 else "   over the 50 ms target"
        print(f"  {name:<34} median {timing['median_ms']:>8} ms   max {timing['max_ms']:>8} ms{flag}")
    print(f"load average  {results['load_average']}")
    OUT.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (OUT / f"crashes-{results['database']}-{stamp}.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
