"""``serve --workers N`` on PostgreSQL: req/s of 1 worker against N, same load.

Each run makes a fresh PostgreSQL database, starts ``python -m local_gateway serve --workers N``
(Redis for the limits, a test key whose limit is out of the way, the offline sandbox model,
request log on), drives 16 keep-alive connections of chat completions with bench/loadgen.py for
``--duration`` seconds, and prints req/s, p50/p99 and the load average around the run.

Run: ``bench/run workers [--workers 1,2] [--duration 8]``. Needs PostgreSQL at MG_BENCH_PG_URL
(default postgresql://postgres@127.0.0.1:5432/test) and Redis at 127.0.0.1:6379.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg

BENCH = Path(__file__).resolve().parent
PY = sys.executable
ADMIN_URL = os.environ.get("MG_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
BODY = json.dumps({"model": "deepseek-chat", "messages": [{"role": "user", "content": "Greetings, smith."}]})


async def _sql(statement: str) -> None:
    conn = await asyncpg.connect(ADMIN_URL)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def run_one(workers: int, duration: float) -> dict[str, Any]:
    name = f"mg_bench_{secrets.token_hex(4)}"
    asyncio.run(_sql(f'CREATE DATABASE "{name}"'))
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("MG_")}
        env.update(
            MG_DATA_DIR=str(data), MG_DATABASE_URL=url, MG_REDIS_URL="redis://127.0.0.1:6379/0",
            MG_REDIS_PREFIX=f"mgbench:{name}:", MG_TEST_KEY_RPM="10000000", MG_BOOTSTRAP="0",
            MG_EMBEDDER="hashed", MG_CLASSIFIER_SEMANTIC="off",
        )  # fmt: skip
        ready = data / "ready.json"
        argv = [PY, "-m", "local_gateway", "serve", "--port", "0", "--workers", str(workers)]
        log = (data / "gateway.log").open("wb")
        proc = subprocess.Popen([*argv, "--ready-file", str(ready)], env=env, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 120
            while not ready.exists():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((data / "gateway.log").read_text()[-2000:])
                time.sleep(0.1)
            port = json.loads(ready.read_text())["port"]
            made = subprocess.run(
                [PY, "-m", "local_gateway", "admin", "create-key", "--email", "bench@example.com", "--json"],
                env=env, capture_output=True, text=True, check=True,
            )  # fmt: skip
            key = json.loads(made.stdout)["api_key"]
            load_before = os.getloadavg()[0]
            out = subprocess.run(
                [PY, str(BENCH / "loadgen.py"), "--port", str(port), "--body", BODY, "-c", "16",
                 "-d", str(duration), "--header", f"Authorization: Bearer {key}"],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            result: dict[str, Any] = json.loads(out.stdout)
            result["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
            log.close()
            asyncio.run(_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    result["workers"] = workers
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds of load per run")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; 16 connections; chat completions on the sandbox model; PostgreSQL + Redis")
    for n in (int(x) for x in args.workers.split(",")):
        r = run_one(n, args.duration)
        keys = [k for k in r if "p50" in k or "p99" in k]
        latency = "  ".join(f"{k} {r[k]}" for k in keys)
        print(f"--workers {n}: {r.get('rps', r.get('req_per_s'))} req/s  {latency}  load {r['load_average']}")
        print("  " + json.dumps(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
