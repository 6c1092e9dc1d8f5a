"""``serve --workers N``: N gateway processes listening on one port, under a parent that keeps them.

Each worker is an ordinary ``serve`` process whose socket has ``SO_REUSEPORT``: the kernel spreads
new connections over them, so no process of ours sits in the request path. The parent runs the
migrations once before any worker starts, restarts a worker that dies (with a back-off, so a worker
that cannot start does not spin), forwards SIGTERM / SIGINT to every worker and waits for them to
finish their in-flight requests. Background jobs need nothing more: the job queue's claim lets one
process take each job.

Workers share the database, so this needs PostgreSQL: SQLite allows one writer at a time. Their
Prometheus metrics go to one directory (``PROMETHEUS_MULTIPROC_DIR``, in the data dir) that every
worker's ``/metrics`` reads whole, so any worker answers for all of them.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from local_gateway.settings import Settings

METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
START_TIMEOUT = 120.0
_POLL = 0.2
_MAX_BACKOFF = 30.0


def check_workers(settings: Settings, workers: int) -> None:
    """A ValueError (the CLI's clear error) when N workers cannot run on these settings."""
    if workers < 1:
        raise ValueError("--workers must be 1 or more")
    if workers == 1:
        return
    if not settings.db_url.startswith("postgresql"):
        raise ValueError(
            "--workers needs PostgreSQL (MG_DATABASE_URL=postgresql://…): SQLite allows one writer "
            "at a time, so several gateway processes cannot share it. Run one process on SQLite."
        )
    if not hasattr(socket, "SO_REUSEPORT"):
        raise ValueError("--workers needs SO_REUSEPORT, which this platform does not have")


def metrics_dir(settings: Settings) -> Path:
    return settings.data_dir / "prometheus-multiproc"


def _say(text: str) -> None:
    print(f"mg gateway: {text}", file=sys.stderr, flush=True)


@dataclass
class _Worker:
    index: int
    proc: subprocess.Popen[bytes] | None = None
    ready_file: Path | None = None
    failures: list[float] = field(default_factory=list)
    restart_at: float = 0.0


class Supervisor:
    def __init__(self, settings: Settings, workers: int) -> None:
        self.settings = settings
        self.workers = [_Worker(i) for i in range(workers)]
        self.port = settings.port
        self.stopping = False
        self._reserved: socket.socket | None = None

    # -- start -------------------------------------------------------------------------------
    def _reserve_port(self) -> None:
        """Bind (without listening) the port every worker will share, so port 0 picks one free
        port for all of them and no other program takes it between two worker starts.

        A plain bind first: SO_REUSEPORT alone would let this pool join another one already
        listening on the port (another ``--workers`` run of the same user) and split its traffic.
        """
        host = self.settings.host
        family, kind, proto, _, address = socket.getaddrinfo(host, self.port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
            address = (address[0], int(probe.getsockname()[1]), *address[2:])
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        self.port = int(sock.getsockname()[1])
        self._reserved = sock

    def _env(self, index: int) -> dict[str, str]:
        env = dict(os.environ)
        env[METRICS_DIR_ENV] = str(metrics_dir(self.settings))
        env["MG_DATA_DIR"] = str(self.settings.data_dir)
        if index > 0:
            env["MG_BOOTSTRAP"] = "0"  # one worker makes the first-start key, not N
        return env

    def _spawn(self, worker: _Worker) -> None:
        worker.ready_file = self.settings.data_dir / f".worker-{worker.index}-{secrets.token_hex(4)}.ready"
        argv = [sys.executable, "-m", "local_gateway", "serve", "--host", self.settings.host]
        argv += ["--port", str(self.port), "--worker-index", str(worker.index)]
        argv += ["--ready-file", str(worker.ready_file)]
        worker.proc = subprocess.Popen(argv, env=self._env(worker.index))
        _say(f"worker {worker.index} started (pid {worker.proc.pid})")

    def _wait_ready(self, deadline: float) -> bool:
        for worker in self.workers:
            assert worker.proc is not None and worker.ready_file is not None
            while not worker.ready_file.exists():
                if self.stopping or worker.proc.poll() is not None or time.monotonic() > deadline:
                    return False
                time.sleep(0.05)
            worker.ready_file.unlink(missing_ok=True)
        return True

    # -- run ---------------------------------------------------------------------------------
    def run(self, ready_file: Path | None = None) -> int:
        from local_gateway.store.migrate import upgrade_async

        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        # Once, before any worker: N processes migrating one database at once would race.
        asyncio.run(upgrade_async(self.settings.db_url))
        shutil.rmtree(metrics_dir(self.settings), ignore_errors=True)  # counts of an earlier run
        metrics_dir(self.settings).mkdir(parents=True)
        try:
            self._reserve_port()
        except OSError as exc:
            _say(f"cannot listen on {self.settings.host}:{self.port}: {exc.strerror}")
            return 1
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        for worker in self.workers:
            self._spawn(worker)
        if not self._wait_ready(time.monotonic() + START_TIMEOUT):
            _say("a worker did not start; stopping the others")
            self._stop_all()
            return 0 if self.stopping else 1
        url = self.settings.with_overrides(port=self.port).base_url
        _say(f"{len(self.workers)} workers listening on {url} (data: {self.settings.data_dir})")
        if ready_file is not None:
            partial = ready_file.with_name(ready_file.name + ".part")
            pids = [w.proc.pid for w in self.workers if w.proc is not None]
            partial.write_text(
                json.dumps({"url": url, "port": self.port, "pid": os.getpid(), "workers": pids})
            )
            partial.replace(ready_file)
        while not self.stopping:
            self._keep_alive()
            time.sleep(_POLL)
        _say("shutting down: the workers finish their in-flight requests")
        self._stop_all()
        return 0

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def _keep_alive(self) -> None:
        now = time.monotonic()
        for worker in self.workers:
            proc = worker.proc
            if proc is not None and proc.poll() is not None:
                _say(f"worker {worker.index} (pid {proc.pid}) exited with {proc.returncode}; restarting")
                _forget_metrics_of(proc.pid, metrics_dir(self.settings))
                worker.proc = None
                worker.failures = [t for t in worker.failures if now - t < 60] + [now]
                delay = min(_MAX_BACKOFF, 0.5 * 2 ** (len(worker.failures) - 1))
                worker.restart_at = now + (0 if len(worker.failures) == 1 else delay)
            if worker.proc is None and now >= worker.restart_at:
                self._spawn(worker)

    def _stop_all(self) -> None:
        running = [w.proc for w in self.workers if w.proc is not None and w.proc.poll() is None]
        for proc in running:
            proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.settings.shutdown_timeout + 10
        for proc in running:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._reserved is not None:
            self._reserved.close()


def _forget_metrics_of(pid: int, path: Path) -> None:
    """A dead worker's live gauges leave the sums; its counters stay (they were counted)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid, str(path))  # type: ignore[no-untyped-call]
