"""Gateway memory: RSS at start, after load and over a long soak (issue #14, target ≤ 100 MiB).

Starts the fake upstream and ``python -m local_gateway serve`` exactly as ``bench/run gateway``
does (:func:`bench_gateway.start_gateway`, same environment: SQLite in a temp data dir, access
log on, MiniLM off), with ``MG_CACHE_DIR`` set to a directory of this checkout's own that is
filled first, so every measured start is one that finds Monster-GPT's caches. It reads the
gateway's ``VmRSS`` and ``VmHWM`` from /proc:

- at start: once the warm-up thread has settled (RSS unchanged for a second);
- after load: ``--seq`` sequential requests, then ``--duration`` s at 16 in flight, non-stream
  and streamed;
- with ``--requests N``: a soak at 16 in flight, RSS sampled every ``--every`` requests.

``--starts K`` repeats the start and load K times (a fresh gateway each time) and prints the
medians. Run: ``bench/run memory [--starts 3] [--requests 100000]``; writes
.bench-out/memory-*.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_gateway
from procs import PY, ROOT, Server, loadgen

MIB = 2**20


def proc_status(pid: int) -> dict[str, int]:
    """``VmRSS`` and ``VmHWM`` of ``pid`` in bytes (``/proc/PID/status``)."""
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) * 1024
    return out


def reading(server: Server) -> dict[str, float]:
    status = proc_status(server.proc.pid)
    tree = server.rss()
    return {
        "rss_mib": round(status["VmRSS"] / MIB, 1),
        "hwm_mib": round(status["VmHWM"] / MIB, 1),
        # The whole process tree, as bench/run gateway's peak RSS counts it.
        "tree_rss_mib": round(tree / MIB, 1),
    }


def settle(server: Server, quiet: float = 1.0, limit: float = 30.0) -> None:
    """Wait until the gateway's RSS has not moved for ``quiet`` s (its warm-up thread is done)."""
    deadline = time.monotonic() + limit
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        rss = proc_status(server.proc.pid)["VmRSS"]
        if rss != last:
            last, since = rss, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(0.1)


def prime_caches(cache_dir: Path) -> None:
    """Fill ``cache_dir`` the way a previous start would, so every measured start is a start
    that finds Monster-GPT's caches (the usual case; a first start also builds them)."""
    code = (
        "import sys; from pathlib import Path; from local_gateway.services import monster_gpt; "
        "monster_gpt.warm(None, Path(sys.argv[1]))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MG_", "OPENAI_"))}
    subprocess.run([PY, "-c", code, str(cache_dir)], env=env, cwd=ROOT, check=True)


def one_start(run_dir: Path, upstream: Server, args: argparse.Namespace, index: int) -> dict[str, Any]:
    gateway = bench_gateway.start_gateway(
        run_dir, upstream, f"gateway-{index}", args.uvloop, cache_dir=args.cache_dir
    )
    try:
        settle(gateway)
        start = reading(gateway)
        loadgen(gateway, bench_gateway.BODY, connections=1, requests=args.seq, warmup=0)
        loadgen(gateway, bench_gateway.BODY, connections=16, requests=0, duration=args.duration, warmup=0)
        loadgen(gateway, bench_gateway.STREAM, connections=16, requests=0, duration=args.duration, warmup=0)
        loaded = reading(gateway)
        result: dict[str, Any] = {"start": start, "after_load": loaded}
        print(f"  start {index + 1}: {start} -> {loaded}", file=sys.stderr)
        if args.requests and index == 0:
            result["soak"] = soak(gateway, args.requests, args.every)
        return result
    finally:
        gateway.stop()


def soak(server: Server, total: int, every: int) -> list[dict[str, Any]]:
    samples = []
    done = 0
    while done < total:
        n = min(every, total - done)
        run = loadgen(server, bench_gateway.BODY, connections=16, requests=n, duration=0, warmup=0)
        done += n
        non_200 = sum(v for k, v in run["statuses"].items() if k != "200") + run["errors"]
        sample = {"requests": done, **reading(server), "rps": run["rps"], "non_200": non_200}
        print(f"  soak {done:>7,}: {sample}", file=sys.stderr)
        samples.append(sample)
    return samples


def medians(results: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for phase in ("start", "after_load"):
        keys = results[0][phase]
        out[phase] = {k: statistics.median(r[phase][k] for r in results) for k in keys}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description="gateway RSS (see the module docstring)")
    parser.add_argument("--starts", type=int, default=3, help="fresh gateway starts (medians)")
    parser.add_argument("--seq", type=int, default=300, help="sequential requests after start")
    parser.add_argument("--duration", type=float, default=4.0, help="seconds of each 16-in-flight phase")
    parser.add_argument("--requests", type=int, default=0, help="soak this many requests (first start)")
    parser.add_argument("--every", type=int, default=10_000, help="soak sample interval (requests)")
    parser.add_argument("--no-uvloop", dest="uvloop", action="store_false")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=ROOT / ".bench-out" / "memory-cache",
        help="MG_CACHE_DIR for the gateway (its own by default: the user cache is shared by every "
        "checkout, and a checkout with other Monster-GPT code rewrites the files there)",
    )
    args = parser.parse_args()

    prime_caches(args.cache_dir)
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    with tempfile.TemporaryDirectory(prefix="mg-bench-memory-") as tmp:
        run_dir = Path(tmp)
        upstream = bench_gateway.start_upstream(run_dir)
        try:
            results = [one_start(run_dir, upstream, args, i) for i in range(args.starts)]
        finally:
            upstream.stop()
    summary = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": os.popen(f"git -C {ROOT} rev-parse --short HEAD").read().strip(),
        "loadavg_before": load_before,
        "loadavg_after": Path("/proc/loadavg").read_text().split()[:3],
        "starts": args.starts,
        "median": medians(results),
        "runs": results,
    }
    med = summary["median"]
    print(f"median of {args.starts} starts (MiB): at start RSS {med['start']['rss_mib']}, "
          f"after load RSS {med['after_load']['rss_mib']} (peak {med['after_load']['hwm_mib']}); "
          f"target ≤ {bench_gateway.TARGETS['rss_mib']:.0f}; "
          f"load average {' '.join(summary['loadavg_before'])}")  # fmt: skip
    if results[0].get("soak"):
        samples = results[0]["soak"]
        print("soak RSS (MiB) every", args.every, "requests:", [s["rss_mib"] for s in samples])
    out_dir = ROOT / ".bench-out"
    out_dir.mkdir(exist_ok=True)
    path = out_dir / f"memory-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(summary, indent=2))
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
