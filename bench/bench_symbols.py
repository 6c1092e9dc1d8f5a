"""Benchmark of ``mg symbols upload`` against a local gateway: time and peak memory of both sides.

Two cases, each uploaded twice (the second run must upload nothing):

* a directory of 1,000 small Breakpad .sym files (≈2 KB each, every one a distinct module id);
* one generated 500 MB .sym file (over 10 MB, so it goes through a presigned upload).

Peak RSS: the CLI's from ``wait4`` (its whole life); the gateway's from the kernel's high-water
mark (``VmHWM``), reset before each run through ``/proc/<pid>/clear_refs`` where allowed, else
the gateway's peak since start. Run: ``.venv/bin/python bench/bench_symbols.py [--big-mb 500]``.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


def start_gateway(data_dir: Path) -> tuple[subprocess.Popen[bytes], str, dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MG_")}
    env.update(MG_DATA_DIR=str(data_dir), MG_BOOTSTRAP="0", MG_ACCESS_LOG="0", MG_TEST_KEY_RPM="100000")
    data_dir.mkdir(parents=True, exist_ok=True)
    ready = data_dir / "ready.json"
    log = (data_dir / "gateway.log").open("ab")
    proc = subprocess.Popen(
        [PY, "-m", "local_gateway", "serve", "--port", "0", "--ready-file", str(ready)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 60
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"gateway did not start; see {data_dir / 'gateway.log'}")
        time.sleep(0.05)
    return proc, json.loads(ready.read_text())["url"], env


def create_key(env: dict[str, str]) -> str:
    out = subprocess.run(
        [
            PY,
            "-m",
            "local_gateway",
            "admin",
            "create-key",
            "--email",
            "bench@example.com",
            "--tier",
            "studio",
            "--json",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout)["api_key"]


def reset_peak(pid: int) -> bool:
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def run_cli(url: str, key: str, path: Path) -> dict[str, float]:
    env = dict(os.environ, MG_BASE_URL=url, MG_API_KEY=key, NO_COLOR="1")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(Path(PY).parent / "mg"), "symbols", "upload", "--json", str(path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    out = proc.stdout.read() if proc.stdout else b""
    err = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"mg symbols upload failed:\n{err.decode()}\n{out.decode()[-3000:]}")
    summary = json.loads(out)
    return {
        "seconds": round(seconds, 3),
        "cli_peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "uploaded": len(summary["uploaded"]),
        "already_present": len(summary["already_present"]),
    }


def make_small_files(root: Path, count: int) -> None:
    root.mkdir(parents=True)
    body = "".join(f"PUBLIC {n * 16:x} 0 function_{n}\n" for n in range(60))
    for n in range(count):
        debug_id = secrets.token_hex(16).upper() + "1"
        (root / f"module_{n:04d}.sym").write_text(
            f"MODULE windows x86_64 {debug_id} module_{n:04d}.pdb\n{body}"
        )


def make_big_file(path: Path, megabytes: int) -> None:
    block = "".join(
        f"PUBLIC {n * 16:x} 0 some_long_function_name_number_{n}\n" for n in range(20_000)
    ).encode()
    block = (block * (2**20 // len(block) + 1))[: 2**20]
    block = block[: block.rfind(b"\n") + 1]
    with path.open("wb") as fh:
        fh.write(f"MODULE Linux x86_64 {secrets.token_hex(16).upper()}0 big\n".encode())
        while fh.tell() + len(block) <= megabytes * 2**20:
            fh.write(block)


def bench_case(name: str, path: Path, url: str, key: str, gateway_pid: int) -> dict[str, object]:
    results: dict[str, object] = {"case": name}
    for run in ("first", "second"):
        exact = reset_peak(gateway_pid)
        cli = run_cli(url, key, path)
        cli["gateway_peak_rss_mb"] = round(peak_rss(gateway_pid) / 2**20, 1)
        cli["gateway_peak_is_per_run"] = exact
        results[run] = cli
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small-files", type=int, default=1000)
    parser.add_argument("--big-mb", type=int, default=500)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mg-bench-symbols-"))
    proc = None
    try:
        proc, url, env = start_gateway(work / "gateway")
        key = create_key(env)
        print(f"gateway {url}; idle RSS {peak_rss(proc.pid) / 2**20:.1f} MB", file=sys.stderr)
        small = work / "small"
        make_small_files(small, args.small_files)
        big = work / "big" / "big.sym"
        big.parent.mkdir()
        make_big_file(big, args.big_mb)
        results = [
            bench_case(f"{args.small_files} small files", small, url, key, proc.pid),
            bench_case(f"one {big.stat().st_size / 2**20:.0f} MB file", big.parent, url, key, proc.pid),
        ]
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(30)
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"{'case':<22} {'run':<7} {'seconds':>8} {'uploaded':>9} {'CLI peak MB':>12} {'gateway peak MB':>16}"
    )
    for result in results:
        for run in ("first", "second"):
            r = result[run]
            assert isinstance(r, dict)
            print(
                f"{result['case']:<22} {run:<7} {r['seconds']:>8.2f} {r['uploaded']:>9} "
                f"{r['cli_peak_rss_mb']:>12.1f} {r['gateway_peak_rss_mb']:>16.1f}"
            )
    out = ROOT / ".bench-out"
    out.mkdir(exist_ok=True)
    (out / "symbols.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
