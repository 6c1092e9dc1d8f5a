"""Shared pieces of the crash-report tests: submit a fixture dump, wait for its processing."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from tests.debugfiles import FIXTURES

DUMPS = FIXTURES / "minidumps"
SYMBOLS = FIXTURES / "symbols"
TEST_APP = "windows-x86-test_app.dmp"
TEST_APP_SYMS = [
    SYMBOLS / "test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1/test_app.sym",
    SYMBOLS / "kernel32.pdb/BCE8785C57B44245A669896B6A19B9542/kernel32.sym",
]
INLINE = "linux-amd64-crashpad-linux_inline.dmp"
INLINE_SYM = SYMBOLS / "linux_inline/BBA6FA10B8AAB33D00000000000000000/linux_inline.sym"
# User names that the fixture dumps' module paths really contain.
PII_NAMES = ["travis", "ted/", "zequanwu"]


def submit_dump(
    client: httpx.Client, name: str | Path, part: str = "upload_file_minidump", **fields: str
) -> httpx.Response:
    path = name if isinstance(name, Path) else DUMPS / name
    with path.open("rb") as fh:
        return client.post(
            "/v1/debug/crashes", files={part: (path.name, fh, "application/octet-stream")}, data=fields
        )


def upload_symbol(client: httpx.Client, path: Path) -> None:
    with path.open("rb") as fh:
        answer = client.post(
            "/v1/debug/symbols/upload", files={"file": (path.name, fh, "application/octet-stream")}
        )
    assert answer.status_code in (200, 201), answer.text


def wait_processed(client: httpx.Client, crash_id: str, timeout: float = 30.0) -> dict[str, Any]:
    """The crash once its processing job has run (processed or failed)."""
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"/v1/debug/crashes/{crash_id}").json()
        if body["processing"] != "processing":
            return body
        assert time.monotonic() < deadline, f"{crash_id} still processing after {timeout} s"
        time.sleep(0.1)


def crashing_frames(crash: dict[str, Any]) -> list[dict[str, Any]]:
    return crash["threads"][crash["crashing_thread"]]["frames"]
