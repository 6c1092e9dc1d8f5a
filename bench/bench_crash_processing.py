"""Benchmark of crash processing: time to process each fixture minidump (parse, walk every
thread, symbolicate, fingerprint, scrub), with its symbols, as the processing job would.

Cases: every fixture dump with the Breakpad symbol tree (``tests/fixtures/debug/symbols``), and
the three dumps whose native debug files ship with the fixtures (PDB, split DWARF, dSYM) with
those instead. Each case runs ``--runs`` times in this process; the median and the fastest are
reported with the load average, since the machine is shared. Symbols are loaded afresh in every
run (``process_minidump`` caches per call only), so the figure includes parsing them.

Run: ``bench/run crash_processing [--runs 15]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from local_gateway.services.debug.crash import (  # noqa: E402
    DirectorySymbolSource,
    MappingSymbolSource,
    process_minidump,
)

FIXTURES = ROOT / "tests" / "fixtures" / "debug"
NATIVE = {
    "windows-x86-crash.dmp": (
        ("crash.pdb", "3249D99D0C4049318610F4E4FB0B69361"),
        "binaries/windows/crash.pdb",
    ),
    "linux-amd64-crash.dmp": (("crash", "C0BCC3F19827FE653058404B2831D9E60"), "binaries/linux/crash.debug"),
    "macos-amd64-crash.dmp": (
        ("crash", "67E9247C814E392BA027DBDE6748FCBF0"),
        "binaries/macos/crash.dSYM/Contents/Resources/DWARF/crash",
    ),
}


def measure(data: bytes, source: object, runs: int) -> tuple[float, float, int]:
    times = []
    frames = 0
    for _ in range(runs):
        start = time.perf_counter()
        crash = process_minidump(data, source)  # type: ignore[arg-type]
        times.append(time.perf_counter() - start)
        frames = sum(len(t.frames) for t in crash.threads)
    return statistics.median(times), min(times), frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {args.runs} runs per case")
    print(f"{'dump':42} {'symbols':10} {'frames':>6} {'median ms':>10} {'min ms':>8}")
    tree = DirectorySymbolSource(FIXTURES / "symbols")
    for path in sorted((FIXTURES / "minidumps").glob("*.dmp")):
        data = path.read_bytes()
        median, fastest, frames = measure(data, tree, args.runs)
        print(f"{path.name:42} {'.sym':10} {frames:6} {median * 1000:10.1f} {fastest * 1000:8.1f}")
        if path.name in NATIVE:
            key, native = NATIVE[path.name]
            source = MappingSymbolSource({key: [FIXTURES / native]})
            median, fastest, frames = measure(data, source, args.runs)
            print(f"{path.name:42} {'native':10} {frames:6} {median * 1000:10.1f} {fastest * 1000:8.1f}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
