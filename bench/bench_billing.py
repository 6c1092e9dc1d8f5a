"""Usage and log queries at scale: ``GET /v1/logs`` pages and ``GET /v1/usage`` over 1M log rows.

In-process against a real database (temporary SQLite by default, ``--pg URL`` for PostgreSQL):
one developer's request log is filled with ``--rows`` rows (1,000,000 by default) spread over
90 days and five models, plus their daily aggregates, beside a second developer's 10% more. Then
the service calls behind the routes are timed (p50 and p95 of ``--runs`` calls each): the newest
page (limit 200), a deep page by cursor, a page filtered by a rare model, a page filtered by
status, and the 90-day usage report. The target is under 50 ms each.

Run: ``bench/run billing [--rows N] [--pg URL]``. Prints a table and writes .bench-out/billing-*.json.
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
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Connection, insert  # noqa: E402

from local_gateway.services.billing.credits import Credits  # noqa: E402
from local_gateway.services.billing.usage import LogQuery, UsageService  # noqa: E402
from local_gateway.services.core.clock import Clock  # noqa: E402
from local_gateway.store import usage as usage_store  # noqa: E402
from local_gateway.store.db import Database  # noqa: E402
from local_gateway.store.migrate import upgrade_async  # noqa: E402
from local_gateway.store.tables import Developer, RequestLog  # noqa: E402

OUT = ROOT / ".bench-out"
MODELS = (
    ["deepseek-chat"] * 70 + ["gpt-4o-mini"] * 20 + ["gemini-3-flash"] * 8 + ["gpt-4o", "claude-opus-4-6"]
)


class Row:
    def __init__(self, **fields: object) -> None:
        self.__dict__.update(fields)


async def fill(db: Database, developer_id: str, rows: int, now: datetime) -> None:
    rng = random.Random(developer_id)
    span = 90 * 86_400
    batch: list[dict[str, object]] = []
    for i in range(rows):
        at = now - timedelta(seconds=span * (rows - i) / rows)
        status = 200 if rng.random() > 0.02 else rng.choice([429, 502, 503])
        batch.append(
            dict(
                request_id=f"req_{developer_id}_{i}",
                developer_id=developer_id,
                key_id="key_bench",
                endpoint="/v1/chat/completions",
                model=rng.choice(MODELS),
                provider="bench",
                prompt_tokens=rng.randint(50, 2000),
                completion_tokens=rng.randint(10, 500),
                cost_micros=rng.randint(1, 900),
                latency_ms=rng.random() * 900,
                status=status,
                error_code=None,
                stream=False,
                extra=None,
                created_at=at,
            )
        )
        if len(batch) == 20_000 or i == rows - 1:
            await db.write_sync(partial(_insert, batch, [Row(**r) for r in batch]))
            batch = []


def _insert(rows: list[dict[str, object]], entries: list[Row], conn: Connection) -> None:
    conn.execute(insert(RequestLog), rows)
    usage_store.add_sync(conn, entries)


def _insert(rows: list[dict[str, object]], entries: list[Row], conn: Connection) -> None:
    conn.execute(insert(RequestLog), rows)
    usage_store.add_sync(conn, entries)


async def timed(calls: int, fn) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(calls):
        t0 = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return round(statistics.median(samples), 2), round(samples[int(len(samples) * 0.95) - 1], 2)


async def run(args: argparse.Namespace) -> dict[str, object]:
    tmp = Path(tempfile.mkdtemp(prefix="mg-bench-billing-"))
    url = args.pg or f"sqlite:///{tmp / 'bench.db'}"
    await upgrade_async(url)
    db = Database(url)
    clock = Clock()
    now = clock.now()
    try:
        async with db.write() as session:
            for dev in ("dev_bench", "dev_other"):
                session.add(Developer(id=dev, email=f"{dev}@example.com", tier="pro", created_at=now))
        t0 = time.perf_counter()
        await fill(db, "dev_bench", args.rows, now)
        await fill(db, "dev_other", args.rows // 10, now)
        fill_s = time.perf_counter() - t0
        service = UsageService(db, clock, Credits(db, clock))
        newest = await service.logs("dev_bench", LogQuery(limit=200))
        deep_cursor = newest["data"][-1]["id"]
        for _ in range(min(200, args.rows // 400)):  # walk up to 40,000 rows back
            page = await service.logs("dev_bench", LogQuery(limit=200, before=int(deep_cursor[4:])))
            deep_cursor = page["data"][-1]["id"]
        deep = int(deep_cursor[4:])
        cases = {
            "logs newest page (200)": lambda: service.logs("dev_bench", LogQuery(limit=200)),
            "logs page 200 deep": lambda: service.logs("dev_bench", LogQuery(limit=200, before=deep)),
            "logs model=claude-opus-4-6": lambda: service.logs(
                "dev_bench", LogQuery(limit=200, model="claude-opus-4-6")
            ),
            "logs status=503": lambda: service.logs("dev_bench", LogQuery(limit=200, status=503)),
            "logs status=error": lambda: service.logs("dev_bench", LogQuery(limit=200, failed=True)),
            "usage days=90": lambda: service.report("dev_bench", 90),
        }
        results: dict[str, object] = {
            "database": "postgresql" if args.pg else "sqlite", "rows": args.rows, "fill_s": round(fill_s, 1),
        }  # fmt: skip
        for name, fn in cases.items():
            results[name] = await timed(args.runs, fn)
    finally:
        await db.close()
    results["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pg", help="PostgreSQL URL of an empty database")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    results = asyncio.run(run(args))
    print(f"database            {results['database']}, {results['rows']:,} log rows")
    print(f"filled in           {results['fill_s']} s")
    for name, value in results.items():
        if isinstance(value, tuple):
            print(f"{name:<28} p50 {value[0]:>7} ms   p95 {value[1]:>7} ms")
    print(f"load average        {results['load_average']}")
    OUT.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (OUT / f"billing-{results['database']}-{stamp}.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
