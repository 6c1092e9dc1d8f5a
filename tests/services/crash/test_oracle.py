"""Agreement with rust-minidump's minidump-stackwalk 0.25 (scripts/symbol-tools) on the same
dumps and the same symbols: every thread's frames, module ids, crash reason and address."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from local_gateway.services.debug.crash import DirectorySymbolSource, ProcessedCrash, process_minidump
from local_gateway.services.debug.crash.scrub import scrub_path
from local_gateway.services.debug.crash.symfile import normalize_path
from tests.services.crash import DUMPS, STACKWALK, SYMBOLS, VALID, dump


@pytest.fixture(scope="module")
def symbols_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture tree, with the one fix rust-minidump needs: it refuses linux_inline.sym for its
    missing final newline (the README's note), and we want both walkers to see the same symbols."""
    assert STACKWALK.is_file(), "minidump-stackwalk is not installed: run scripts/symbol-tools"
    root = tmp_path_factory.mktemp("symbols")
    shutil.copytree(SYMBOLS, root, dirs_exist_ok=True)
    inline = next(root.glob("linux_inline/*/linux_inline.sym"))
    inline.write_bytes(inline.read_bytes() + b"\n")
    return root


def _oracle(name: str, root: Path) -> dict[str, Any]:
    out = subprocess.run(
        [str(STACKWALK), "--json", str(DUMPS / name), str(root)], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout)


def _hex(value: str | None) -> int | None:
    return int(value, 16) if value else None


def _ours(frames: Any) -> list[tuple[Any, ...]]:
    return [(f.module, f.function, f.file, f.line, f.trust, f.module_offset) for f in frames]


def _theirs(frames: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    rows = []
    for f in frames:
        file = scrub_path(normalize_path(f["file"])) if f.get("file") else None
        rows.append(
            (
                f.get("module"),
                f.get("function"),
                file,
                f.get("line"),
                f["trust"],
                _hex(f.get("module_offset")),
            )
        )
    return rows


@pytest.mark.parametrize("name", VALID)
def test_same_frames_as_minidump_stackwalk(symbols_root: Path, name: str) -> None:
    oracle = _oracle(name, symbols_root)
    crash: ProcessedCrash = process_minidump(dump(name), DirectorySymbolSource(symbols_root))
    assert crash.crash_reason == oracle["crash_info"]["type"]
    assert crash.crash_address == _hex(oracle["crash_info"]["address"])
    assert crash.crashing_thread == oracle["crash_info"]["crashing_thread"]
    assert len(crash.threads) == len(oracle["threads"])
    for ours, theirs in zip(crash.threads, oracle["threads"], strict=True):
        assert ours.tid == theirs["thread_id"]
        assert _ours(ours.frames) == _theirs(theirs["frames"]), f"thread {ours.index}"
        for frame, their_frame in zip(ours.frames, theirs["frames"], strict=True):
            inlines = [
                (i["function"], i.get("file"), i.get("line")) for i in their_frame.get("inlines") or []
            ]
            assert [(i.function, i.file, i.line) for i in frame.inlines] == inlines


@pytest.mark.parametrize("name", VALID)
def test_same_module_ids_as_minidump_stackwalk(symbols_root: Path, name: str) -> None:
    oracle = _oracle(name, symbols_root)
    crash = process_minidump(dump(name), DirectorySymbolSource(symbols_root))
    ours = [
        (m.base, m.base + m.size, m.debug_file, m.debug_id, (m.code_id or "").lower()) for m in crash.modules
    ]
    theirs = [
        (
            _hex(m["base_addr"]),
            _hex(m["end_addr"]),
            m["debug_file"],
            m["debug_id"],
            (m["code_id"] or "").lower(),
        )
        for m in oracle["modules"]
    ]
    assert ours == theirs
