"""Job queue benchmark: how fast one runner drains no-op jobs, and what one enqueue costs.

In-process against a real database (temporary SQLite by default, ``--pg URL`` for PostgreSQL):

- ``enqueue``: one job added in a write transaction of its own (``JobQueue.submit``), p50;
- ``drain``: N no-op jobs queued at once, then one runner (concurrency 4) claims and completes
  them all; jobs/s, the median of ``--runs`` runs. Each job costs a claim share and one
  complete transaction: this is the queue's own overhead, with handlers that do nothing.

Run: ``bench/run jobs [--quick] [--pg URL] [--runs N]``. Prints a table and writes
.bench-out/jobs-*.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from local_gateway.services.core.clock import Clock  # noqa: E402
from local_gateway.services.jobs import JobQueue, JobRecord, JobRunner  # noqa: E402
from local_gateway.store.db import Database  # noqa: E402
from local_gateway.store.migrate import upgrade_async  # noqa: E402

OUT = ROOT / ".bench-out"
KIND = "bench.noop"


async def noop(_job: JobRecord) -> None:
    return None


async def run(args: argparse.Namespace) -> dict[str, object]:
    tmp = Path(tempfile.mkdtemp(prefix="mg-bench-jobs-"))
    url = args.pg or f"sqlite:///{tmp / 'bench.db'}"
    await upgrade_async(url)
    db = Database(url)
    queue = JobQueue(db, Clock())
    queue.kinds.register(KIND, noop)
    count = 500 if args.quick else 2000
    results: dict[str, object] = {"database": "postgresql" if args.pg else "sqlite", "jobs": count}
    try:
        samples = []
        for _ in range(200):
            t0 = time.perf_counter()
            await queue.submit(KIND, {"n": 1})
            samples.append((time.perf_counter() - t0) * 1000)
        results["enqueue_p50_ms"] = round(statistics.median(samples), 3)
        runner = JobRunner(queue, concurrency=4, poll_interval=0.05)
        runner.start()
        await runner.idle()
        rates = []
        for _ in range(args.runs):
            async with db.write() as session:
                for i in range(count):
                    await queue.enqueue(session, KIND, {"n": i})
            t0 = time.perf_counter()
            await runner.idle()
            rates.append(count / (time.perf_counter() - t0))
        await runner.stop()
        results["drain_jobs_per_s"] = [round(r) for r in rates]
        results["drain_median_jobs_per_s"] = round(statistics.median(rates))
    finally:
        await db.close()
    results["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--pg", help="PostgreSQL URL of an empty database")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results = asyncio.run(run(args))
    print(f"database            {results['database']}, {results['jobs']} jobs a run")
    print(f"enqueue p50         {results['enqueue_p50_ms']} ms (one job, its own transaction)")
    rates = results["drain_jobs_per_s"]
    print(f"drain               {results['drain_median_jobs_per_s']} jobs/s median (runs: {rates})")
    print(f"load average        {results['load_average']}")
    OUT.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (OUT / f"jobs-{results['database']}-{stamp}.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
