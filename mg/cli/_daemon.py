"""A gateway in the background: start it detached, find it, stop it, read its log.

Everything lives in the gateway's data dir: ``gateway.pid`` (the process id), ``gateway.json``
(its URL, written by the gateway once it listens) and ``gateway.log`` (its stdout and stderr).
The gateway runs as ``python -m local_gateway serve`` in its own session, so closing the
terminal that started it does not stop it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

PID_FILE = "gateway.pid"
READY_FILE = "gateway.json"
LOG_FILE = "gateway.log"


class StartError(Exception):
    def __init__(self, message: str, log_tail: str = "") -> None:
        super().__init__(message)
        self.log_tail = log_tail


@dataclass
class Daemon:
    data_dir: Path
    pid: int | None = None
    url: str | None = None
    running: bool = False

    @property
    def log(self) -> Path:
        return self.data_dir / LOG_FILE

    def as_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["data_dir"] = str(self.data_dir)
        out["log"] = str(self.log)
        return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists():
        # A recycled pid belongs to some other program: that is not our gateway.
        with contextlib.suppress(OSError):
            return b"local_gateway" in cmdline.read_bytes()
    return True


def find(data_dir: Path) -> Daemon:
    """The background gateway of ``data_dir``, as its files describe it."""
    daemon = Daemon(data_dir)
    try:
        daemon.pid = int((data_dir / PID_FILE).read_text().strip())
    except (OSError, ValueError):
        return daemon
    with contextlib.suppress(OSError, ValueError):
        daemon.url = json.loads((data_dir / READY_FILE).read_text())["url"]
    daemon.running = _alive(daemon.pid)
    return daemon


def _log_tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def start(
    data_dir: Path,
    *,
    host: str | None = None,
    port: int | None = None,
    extra_env: Mapping[str, str] | None = None,
    timeout: float = 60.0,
) -> tuple[Daemon, str]:
    """Start a detached gateway and wait until it listens; also what it said on the way up."""
    data_dir.mkdir(parents=True, exist_ok=True)
    current = find(data_dir)
    if current.running:
        raise StartError(f"A gateway from {data_dir} is already running (pid {current.pid}, {current.url}).")
    ready = data_dir / READY_FILE
    ready.unlink(missing_ok=True)
    log_path = data_dir / LOG_FILE
    offset = log_path.stat().st_size if log_path.exists() else 0
    args = [
        sys.executable,
        "-m",
        "local_gateway",
        "serve",
        "--data-dir",
        str(data_dir),
        "--ready-file",
        str(ready),
    ]
    if host:
        args += ["--host", host]
    if port is not None:
        args += ["--port", str(port)]
    env = dict(os.environ, PYTHONUNBUFFERED="1", **(extra_env or {}))
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
    (data_dir / PID_FILE).write_text(f"{proc.pid}\n")
    deadline = time.monotonic() + timeout
    while not ready.exists():
        if proc.poll() is not None:
            (data_dir / PID_FILE).unlink(missing_ok=True)
            raise StartError(
                f"The gateway exited during start-up (code {proc.returncode}).", _log_tail(log_path)
            )
        if time.monotonic() > deadline:
            stop(data_dir)
            raise StartError(f"The gateway did not start within {timeout:g} s.", _log_tail(log_path))
        time.sleep(0.05)
    daemon = find(data_dir)
    with log_path.open("rb") as fh:
        fh.seek(offset)
        said = fh.read().decode("utf-8", "replace")
    return daemon, said


def stop(data_dir: Path, timeout: float = 35.0) -> Daemon:
    """SIGTERM (the gateway finishes in-flight requests), then SIGKILL after ``timeout``."""
    daemon = find(data_dir)
    if daemon.pid is not None and daemon.running:
        os.kill(daemon.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(daemon.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _alive(daemon.pid):
            os.kill(daemon.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(daemon.pid, os.WNOHANG)
    for name in (PID_FILE, READY_FILE):
        (data_dir / name).unlink(missing_ok=True)
    return daemon


def follow(path: Path, lines: int) -> Iterator[str]:
    """The last ``lines`` lines, then new ones as they are written (like ``tail -f``)."""
    with path.open("r", errors="replace") as fh:
        yield from fh.read().splitlines(keepends=True)[-lines:] if lines else []
        while True:
            line = fh.readline()
            if line:
                yield line
            else:
                time.sleep(0.2)
