"""`mg tui` start-up: from starting the process to the first paint, in a real terminal (a pty).

A local gateway (SQLite, a temp data dir) runs with one NPC thread; `mg tui` starts in an 80×24
pty with the key in MG_API_KEY (the CI path: no keyring). Two moments are timed from just
before the process is spawned:

- first paint: the footer of the dialogue explorer is on the screen (the screen is drawn,
  its lists still loading);
- first data: the seeded NPC is listed (threads fetched from the gateway and drawn).

Each run is a new process, after one warm-up; the median of ``--runs`` (default 7, at least 5)
is the figure we quote. Target: first paint under 1 s.

Run: ``bench/run tui_startup [--runs N] [--check]``. Prints a table, writes
.bench-out/tui_startup-<time>.json. ``--check`` exits 1 when the first-paint median is over.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pexpect

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.gateway_process import running_gateway  # noqa: E402

TARGET_MS = 1000.0
FIRST_PAINT = "New thread"  # in the footer, painted with the first frame
FIRST_DATA = "blacksmith_01"  # the seeded NPC in the thread list


def one_run(env: dict[str, str]) -> tuple[float, float]:
    mg = str(Path(sys.executable).parent / "mg")
    started = time.perf_counter()
    child = pexpect.spawn(mg, ["tui"], env=env, dimensions=(24, 80), encoding="utf-8", timeout=30)
    try:
        child.expect_exact(FIRST_PAINT)
        paint = (time.perf_counter() - started) * 1000
        child.expect_exact(FIRST_DATA)
        data = (time.perf_counter() - started) * 1000
        child.sendcontrol("q")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    return paint, data


def summary(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    return {
        "median_ms": round(statistics.median(samples), 1),
        "min_ms": round(samples[0], 1),
        "max_ms": round(samples[-1], 1),
        "runs": len(samples),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="runs (at least 5)")
    parser.add_argument("--check", action="store_true", help="exit 1 when the median is over the target")
    args = parser.parse_args()
    runs = max(5, args.runs)
    with tempfile.TemporaryDirectory() as tmp, running_gateway(Path(tmp) / "gw") as gw:
        from mg import MonsterClient

        api_key = gw.create_key(tier="studio")["api_key"]
        with MonsterClient(api_key, gw.url) as client:
            client.threads.create(npc_id="blacksmith_01", player_id="player_1", npc_template="merchant")
        # As on a user's machine: bytecode is cached (the warm-up run writes what is missing).
        env = {
            k: v for k, v in os.environ.items() if not k.startswith("MG_") and k != "PYTHONDONTWRITEBYTECODE"
        }
        env.update(
            MG_API_KEY=api_key,
            MG_BASE_URL=gw.url,
            MG_CONFIG_DIR=str(Path(tmp) / "config"),
            TERM="xterm-256color",
            COLORTERM="truecolor",
        )
        one_run(env)  # warm-up: file cache, .pyc files
        paints, datas = [], []
        for _ in range(runs):
            paint, data = one_run(env)
            paints.append(paint)
            datas.append(data)
    results = {"first_paint": summary(paints), "first_data": summary(datas)}
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    print(f"{'moment':<12} {'median':>8} {'min':>8} {'max':>8}   target {TARGET_MS:.0f} ms (first paint)")
    for name, r in results.items():
        print(f"{name:<12} {r['median_ms']:>6.0f}ms {r['min_ms']:>6.0f}ms {r['max_ms']:>6.0f}ms")
    print(f"load average {load:.1f}" if load is not None else "")
    out_dir = ROOT / ".bench-out"
    out_dir.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    report = {
        "benchmark": "tui_startup",
        "at": stamp,
        "target_ms": TARGET_MS,
        "load_average": load,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "results": results,
    }
    path = out_dir / f"tui_startup-{stamp}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")
    over = results["first_paint"]["median_ms"] > TARGET_MS
    return 1 if args.check and over else 0


if __name__ == "__main__":
    sys.exit(main())
