"""Where the gateway's CPU goes: py-spy samples it while bench/loadgen.py keeps 16 requests in flight.

Starts the loopback upstream and a gateway set up as ``bench/run gateway`` sets it up (live key,
everything on), records ``--seconds`` of samples with ``py-spy record -f raw`` (folded stacks,
GIL-holding threads only), and prints the top functions by share of samples: ``self`` (the
function's own code) and ``total`` (anything under it). Needs py-spy: ``.venv/bin/pip install
py-spy``. ``--baseline DIR`` profiles a gateway from another source tree instead.

Run: ``.venv/bin/python bench/profile_gateway.py [--baseline DIR]`` (prints; writes .bench-out/profile-*).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_gateway import BODY, OUT, start_gateway, start_upstream
from procs import ROOT, loadgen


def top(folded: Path, n: int) -> list[str]:
    own: Counter[str] = Counter()
    under: Counter[str] = Counter()
    total = 0
    for line in folded.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        k = int(count)
        total += k
        frames = [f.split(" (")[0] for f in stack.split(";")[1:]]  # [0] is the thread
        if frames:
            own[frames[-1]] += k
        for frame in set(frames):
            under[frame] += k
    lines = [f"{total} samples", "self %  total %  function"]
    for name, k in own.most_common(n):
        lines.append(f"{100 * k / total:6.1f}  {100 * under[name] / total:7.1f}  {name}")
    lines.append("")
    lines.append("total %  function (inclusive, top)")
    for name, k in under.most_common(n + 10):
        lines.append(f"{100 * k / total:7.1f}  {name}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--baseline", type=Path, help="profile a gateway from this source tree")
    args = parser.parse_args()
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run_dir = OUT / f"profile-{stamp}"
    run_dir.mkdir(parents=True)
    upstream = start_upstream(run_dir)
    gateway = start_gateway(run_dir, upstream, "gateway", True, root=args.baseline or ROOT)
    try:
        loadgen(gateway, BODY, connections=16, requests=3000, duration=0, warmup=0)  # warm
        folded = run_dir / "gateway.folded"
        load = threading.Thread(
            target=loadgen, args=(gateway, BODY), kwargs={"connections": 16, "duration": args.seconds + 2}
        )
        load.start()
        subprocess.run(
            [spy, "record", "-f", "raw", "-o", str(folded), "-d", str(int(args.seconds)), "-r", "200",
             "--gil", "--nonblocking", "-p", str(gateway.proc.pid)],
            check=True, capture_output=True,
        )  # fmt: skip
        load.join()
    finally:
        gateway.stop()
        upstream.stop()
    report = "\n".join(top(folded, args.top))
    (run_dir / "top.txt").write_text(report + "\n")
    print(report)
    print(f"\nfolded stacks: {folded}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
