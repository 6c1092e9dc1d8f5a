"""A webhook receiver in a process of its own, recording every request it gets.

The path picks the behaviour: ``/ok`` answers 200, ``/status/N`` answers N (``/status/503?
retry_after=S`` adds a Retry-After), ``/hang`` never answers in time, ``/redirect?to=URL``
answers 302 to URL. Every request is appended to ``log`` as one JSON line (path, headers, body)
*before* it is answered, so a test sees attempts whatever their outcome.

    python -m tests.support.webhook_receiver LOG_FILE PORT_FILE
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

_LOCK = threading.Lock()


def _handler(log: Path) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            entry = {
                "path": parts.path,
                "at": time.time(),
                "headers": dict(self.headers.items()),
                "body": body.decode("utf-8"),
            }
            with _LOCK, log.open("a") as fh:
                fh.write(json.dumps(entry) + "\n")
            if parts.path == "/hang":
                time.sleep(float(query.get("for", 30)))
            status, headers = 200, {}
            if parts.path.startswith("/status/"):
                status = int(parts.path.rsplit("/", 1)[1])
                if "retry_after" in query:
                    headers["Retry-After"] = query["retry_after"]
            elif parts.path == "/redirect":
                status, headers = 302, {"Location": query["to"]}
            reply = json.dumps({"received": True, "path": parts.path}).encode() + b" " * int(
                query.get("pad", 0)
            )
            try:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
            except OSError:
                pass  # the sender gave up waiting (a timeout test)

    return Handler


@dataclass
class Receiver:
    url: str
    log: Path
    proc: subprocess.Popen[bytes]

    def requests(self, path: str | None = None) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        rows = [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]
        return [r for r in rows if path is None or r["path"] == path]

    def events(self, path: str | None = None) -> list[dict[str, Any]]:
        return [json.loads(r["body"]) for r in self.requests(path)]

    def wait_for(self, count: int, path: str | None = None, timeout: float = 20.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.requests(path)
            if len(got) >= count:
                return got
            time.sleep(0.05)
        raise AssertionError(f"receiver got {len(self.requests(path))} of {count} requests on {path}")

    def clear(self) -> None:
        self.log.write_text("")


@contextmanager
def running_receiver(folder: Path) -> Iterator[Receiver]:
    folder.mkdir(parents=True, exist_ok=True)
    log, port_file = folder / "received.jsonl", folder / "port"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.webhook_receiver", str(log), str(port_file)]
    )
    deadline = time.monotonic() + 15
    while not port_file.exists() or not port_file.read_text().strip():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("the webhook receiver did not start")
        time.sleep(0.05)
    try:
        yield Receiver(f"http://127.0.0.1:{port_file.read_text().strip()}", log, proc)
    finally:
        proc.kill()
        proc.wait()


if __name__ == "__main__":
    log_path, port_path = Path(sys.argv[1]), Path(sys.argv[2])
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(log_path))
    server.daemon_threads = True
    tmp = port_path.with_suffix(".tmp")
    tmp.write_text(str(server.server_address[1]))
    tmp.rename(port_path)
    server.serve_forever()
