"""Tests of crash processing on the real fixture dumps (tests/fixtures/debug/README.md)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.debugfiles import FIXTURES

DUMPS = FIXTURES / "minidumps"
SYMBOLS = FIXTURES / "symbols"
BINARIES = FIXTURES / "binaries"
EXPECTED = json.loads((FIXTURES / "expected" / "stackwalk-expected.json").read_text())
ROOT = Path(__file__).resolve().parents[3]
STACKWALK = ROOT / ".venv" / "tools" / "bin" / "minidump-stackwalk"
VALID = [
    "windows-x86-test_app.dmp",
    "windows-x86-crash.dmp",
    "linux-amd64-crash.dmp",
    "macos-amd64-crash.dmp",
    "linux-amd64-crashpad-linux_inline.dmp",
    "macos-amd64-crashpad-simple.dmp",
]
INVALID = ["invalid/invalid-range.dmp", "invalid/invalid-record-count.dmp"]


def dump(name: str) -> bytes:
    return (DUMPS / name).read_bytes()
