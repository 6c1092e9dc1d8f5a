"""Starting, watching and stopping the processes a benchmark runs (helpers for bench_*.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PY = sys.executable


@dataclass
class Server:
    """A server process under test; RSS and CPU are summed over its process tree."""

    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path
    headers: list[str] = field(default_factory=list)
    peak_rss: int = 0
    version: str | None = None

    def tree(self) -> list[psutil.Process]:
        try:
            root = psutil.Process(self.proc.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def rss(self) -> int:
        total = 0
        for p in self.tree():
            try:
                total += p.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return total

    def cpu_seconds(self) -> float:
        total = 0.0
        for p in self.tree():
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.NoSuchProcess:
                pass
        return total

    def stop(self) -> None:
        """SIGTERM the tree this server started (by pid), then SIGKILL what is left."""
        procs = self.tree()
        for p in reversed(procs):
            try:
                p.send_signal(signal.SIGTERM)
            except psutil.NoSuchProcess:
                pass
        _, alive = psutil.wait_procs(procs, timeout=15)
        for p in alive:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        if self.proc.poll() is None:
            self.proc.wait(5)


def start(
    name: str,
    argv: Sequence[str],
    run_dir: Path,
    env: Mapping[str, str] | None = None,
    ready_file: Path | None = None,
    port: int | None = None,
    timeout: float = 120.0,
    cwd: Path | None = None,
) -> Server:
    """Start ``argv``; ready when ``ready_file`` names the port, or when ``port`` accepts a GET."""
    log_path = run_dir / f"{name}.log"
    log = log_path.open("ab")
    proc = subprocess.Popen(
        list(argv), env=dict(env or os.environ), stdout=log, stderr=subprocess.STDOUT, cwd=cwd
    )
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited early:\n{log_path.read_text(errors='replace')[-3000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"{name} did not start in {timeout}s:\n{log_path.read_text()[-3000:]}")
        if ready_file is not None and ready_file.exists():
            try:
                port = int(json.loads(ready_file.read_text())["port"])
                break
            except (ValueError, KeyError):
                pass
        elif ready_file is None and port is not None and _accepts(port):
            break
        time.sleep(0.1)
    assert port is not None
    return Server(name, proc, port, log_path)


def _accepts(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RssSampler:
    """Samples every server's tree RSS in a thread and keeps each one's peak."""

    def __init__(self, servers: Sequence[Server], every: float = 0.25) -> None:
        self.servers = list(servers)
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for server in self.servers:
                server.peak_rss = max(server.peak_rss, server.rss())
            self._stop.wait(self.every)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def loadgen(
    server: Server,
    body: str,
    *,
    connections: int = 1,
    requests: int = 0,
    duration: float = 5.0,
    warmup: int = 200,
) -> dict[str, Any]:
    """Run bench/loadgen.py against ``server``; adds the server's CPU per request."""
    argv = [PY, str(BENCH / "loadgen.py"), "--port", str(server.port), "--body", body]
    argv += ["-c", str(connections), "-n", str(requests), "-d", str(duration), "--warmup", str(warmup)]
    for header in server.headers:
        argv += ["--header", header]
    cpu0 = server.cpu_seconds()
    out = subprocess.run(argv, capture_output=True, text=True, check=False)
    cpu1 = server.cpu_seconds()
    if out.returncode != 0:
        raise RuntimeError(f"loadgen against {server.name} failed:\n{out.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(out.stdout)
    n = int(result["requests"]) or 1
    # CPU of the warm-up requests is included in the delta; count them too.
    result["server_cpu_us_per_req"] = round((cpu1 - cpu0) / (n + warmup) * 1e6, 1)
    result["server_rss_mib"] = round(server.rss() / 2**20, 1)
    return result
