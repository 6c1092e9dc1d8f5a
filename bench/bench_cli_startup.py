"""CLI cold start: `mg --help` and `mg chat --help`, a new process each run.

Start-up is what a person feels on every command, and what shell completion and scripts pay
again and again. Each command runs ``--runs`` times (default 20) after one warm-up run (so the
OS file cache is warm but no Python state survives); the median is the figure we quote, the
target is 150 ms. ``python -c pass`` is measured alongside as the floor nothing can beat; the
"+python" column is what mg adds to it, which moves less than the totals when the machine is
busy (the load average is recorded with the results).

Run: ``bench/run cli_startup [--runs N] [--check]``. Prints a table, writes
.bench-out/cli_startup-<time>.json. ``--check`` exits 1 when a median is over the target.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 150.0


def mg() -> str:
    script = Path(sys.executable).parent / "mg"
    if not script.exists():
        sys.exit(f"{script} is missing: run scripts/setup first")
    return str(script)


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return (time.perf_counter() - started) * 1000


def measure(argv: list[str], runs: int, env: dict[str, str]) -> dict[str, float]:
    timed(argv, env)  # warm-up: file cache, .pyc files
    samples = sorted(timed(argv, env) for _ in range(runs))
    return {
        "median_ms": round(statistics.median(samples), 1),
        "p90_ms": round(samples[max(0, int(len(samples) * 0.9) - 1)], 1),
        "min_ms": round(samples[0], 1),
        "max_ms": round(samples[-1], 1),
        "runs": runs,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="runs per command (at least 10)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a median is over the target")
    args = parser.parse_args()
    runs = max(10, args.runs)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MG_")}
    env["NO_COLOR"] = "1"
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "mg --help": [mg(), "--help"],
        "mg chat --help": [mg(), "chat", "--help"],
    }
    results = {name: measure(argv, runs, env) for name, argv in commands.items()}
    # Above the interpreter's own start: what mg costs, and steadier than the total on a busy machine.
    floor = results["python -c pass"]["median_ms"]
    for r in results.values():
        r["over_python_ms"] = round(r["median_ms"] - floor, 1)
    header = f"{'command':<18} {'median':>8} {'p90':>8} {'min':>8} {'+python':>8}"
    print(f"{header}   target {TARGET_MS:.0f} ms (median)")
    over = []
    for name, r in results.items():
        verdict = "" if name.startswith("python") else ("ok" if r["median_ms"] <= TARGET_MS else "OVER")
        if verdict == "OVER":
            over.append(name)
        print(
            f"{name:<18} {r['median_ms']:>6.1f}ms {r['p90_ms']:>6.1f}ms {r['min_ms']:>6.1f}ms "
            f"{r['over_python_ms']:>6.1f}ms   {verdict}"
        )
    out_dir = ROOT / ".bench-out"
    out_dir.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    report = {
        "benchmark": "cli_startup",
        "at": stamp,
        "target_ms": TARGET_MS,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "results": results,
    }
    path = out_dir / f"cli_startup-{stamp}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")
    return 1 if args.check and over else 0


if __name__ == "__main__":
    sys.exit(main())
