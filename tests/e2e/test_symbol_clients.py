"""Real symbol-server clients against a real gateway: Debian's debuginfod-find and rust-minidump's
minidump-stackwalk (installed by scripts/symbol-tools), authenticating the ways they can."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.debugfiles import FIXTURES
from tests.gateway.symbols_support import ELF_BUILD_ID, upload
from tests.support.gateway_process import GatewayProcess

ROOT = Path(__file__).resolve().parents[2]
UPLOADS = [
    "binaries/linux/crash",
    "binaries/linux/crash.debug",
    "symbols/test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1/test_app.sym",
    "symbols/kernel32.pdb/BCE8785C57B44245A669896B6A19B9542/kernel32.sym",
    "symbols/crash/67E9247C814E392BA027DBDE6748FCBF0/crash.sym",
]


def _tool(name: str, local: Path | None = None) -> str:
    found = str(local) if local and local.is_file() else shutil.which(name)
    assert found, f"{name} is not installed: run scripts/symbol-tools"
    return found


@pytest.fixture(scope="module")
def key(sqlite_gateway: GatewayProcess) -> Iterator[str]:
    api_key = sqlite_gateway.create_key(tier="free")["api_key"]
    with sqlite_gateway.client(api_key) as client:
        for path in UPLOADS:
            assert upload(client, FIXTURES / path).status_code == 201
    yield api_key


def _with_password(url: str, key: str) -> str:
    return url.replace("http://", f"http://mg:{key}@", 1)


@pytest.mark.parametrize("kind, expected", [("debuginfo", "crash.debug"), ("executable", "crash")])
def test_debuginfod_find_with_basic_auth_in_the_url(
    sqlite_gateway: GatewayProcess, key: str, tmp_path: Path, kind: str, expected: str
) -> None:
    env = {"DEBUGINFOD_URLS": _with_password(sqlite_gateway.url, key), "DEBUGINFOD_CACHE_PATH": str(tmp_path)}
    out = subprocess.run(
        [_tool("debuginfod-find"), kind, ELF_BUILD_ID], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert Path(out.stdout.strip()).read_bytes() == (FIXTURES / "binaries/linux" / expected).read_bytes()


def test_debuginfod_find_with_a_bearer_header_file(
    sqlite_gateway: GatewayProcess, key: str, tmp_path: Path
) -> None:
    headers = tmp_path / "headers"
    headers.write_text(f"Authorization: Bearer {key}\n")
    base = {"DEBUGINFOD_URLS": sqlite_gateway.url, "DEBUGINFOD_CACHE_PATH": str(tmp_path / "cache")}
    find = [_tool("debuginfod-find"), "debuginfo", ELF_BUILD_ID]
    refused = subprocess.run(find, env=base, capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0, "no credentials, no file"
    # A fresh cache: debuginfod-find remembers failures.
    env = dict(base, DEBUGINFOD_HEADERS_FILE=str(headers), DEBUGINFOD_CACHE_PATH=str(tmp_path / "cache2"))
    out = subprocess.run(find, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert Path(out.stdout.strip()).read_bytes() == (FIXTURES / "binaries/linux/crash.debug").read_bytes()


def _stackwalk(gateway: GatewayProcess, key: str, dump: str, tmp_path: Path) -> dict:
    walker = _tool("minidump-stackwalk", ROOT / ".venv/tools/bin/minidump-stackwalk")
    out = subprocess.run(
        [
            walker,
            "--json",
            "--symbols-url",
            _with_password(gateway.url, key) + "/symbols/",
            "--symbols-cache",
            str(tmp_path / "cache"),
            "--symbols-tmp",
            str(tmp_path / "tmp"),
            str(FIXTURES / "minidumps" / dump),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout)


def test_minidump_stackwalk_symbolicates_from_the_gateway(
    sqlite_gateway: GatewayProcess, key: str, tmp_path: Path
) -> None:
    expected = json.loads((FIXTURES / "expected/stackwalk-expected.json").read_text())[
        "windows-x86-test_app.dmp"
    ]
    result = _stackwalk(sqlite_gateway, key, "windows-x86-test_app.dmp", tmp_path)
    frames = result["crashing_thread"]["frames"]
    for want, got in zip(expected["top_frames"], frames, strict=False):
        assert (got["module"], got["function"]) == (want["module"], want["function"])
        if "line" in want:
            assert (got["file"], got["line"]) == (want["file"], want["line"])
    assert len(frames) >= len(expected["top_frames"])


def test_minidump_stackwalk_macos_dump(sqlite_gateway: GatewayProcess, key: str, tmp_path: Path) -> None:
    frame = _stackwalk(sqlite_gateway, key, "macos-amd64-crash.dmp", tmp_path)["crashing_thread"]["frames"][0]
    assert (frame["module"], frame["function"], frame["line"]) == ("crash", "main", 21)
