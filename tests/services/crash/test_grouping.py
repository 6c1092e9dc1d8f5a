"""Fingerprints: stable across recompiles of the same crash, different across crashes."""

from __future__ import annotations

import re
from dataclasses import replace

from local_gateway.services.debug.crash import (
    MappingSymbolSource,
    ProcessedCrash,
    fingerprint_stack_trace,
    normalize_function,
    process_minidump,
)
from local_gateway.services.debug.crash import fingerprint as fp
from local_gateway.services.debug.crash.process import _fingerprint_keys
from tests.services.crash import BINARIES, SYMBOLS, dump


def _refingerprint(crash: ProcessedCrash) -> str:
    thread = crash.crashed_thread
    assert thread is not None
    return fp.fingerprint(fp.choose_frames(_fingerprint_keys(thread.frames)))


def test_recompile_moves_code_but_keeps_the_group(processed: dict[str, ProcessedCrash]) -> None:
    crash = processed["windows-x86-test_app.dmp"]
    thread = crash.crashed_thread
    assert thread is not None
    moved = tuple(
        replace(
            f,
            instruction=f.instruction + 0x1230,
            module_offset=(f.module_offset or 0) + 0x1230,
            function_offset=(f.function_offset or 0) + 3,
            line=(f.line or 0) + 7,
        )
        for f in thread.frames
    )
    rebuilt = replace(crash, threads=(replace(thread, frames=moved), *crash.threads[1:]))
    assert _refingerprint(rebuilt) == crash.fingerprint == _refingerprint(crash)
    assert crash.fingerprint_frames == (
        "test_app.exe!(anonymous namespace)::CrashFunction",
        "test_app.exe!main",
        "test_app.exe!__tmainCRTStartup",
    )


def test_different_crashes_group_apart(processed: dict[str, ProcessedCrash]) -> None:
    prints = {crash.fingerprint for crash in processed.values()}
    assert len(prints) == len(processed)


def test_system_frames_do_not_enter_the_fingerprint(processed: dict[str, ProcessedCrash]) -> None:
    assert processed["windows-x86-crash.dmp"].fingerprint_frames == (
        "crash.exe!main",
        "crash.exe!__scrt_common_main_seh",
    )
    # Only crashy is in-app in the Crashpad dump, and it has no symbols: module + offset.
    assert processed["macos-amd64-crashpad-simple.dmp"].fingerprint_frames == ("crashy+0x3f8a",)


def test_pdb_and_sym_spellings_of_a_function_agree() -> None:
    assert normalize_function("main(int, char**)") == normalize_function("main")
    assert normalize_function("`anonymous namespace'::crash()") == "(anonymous namespace)::crash"
    assert normalize_function("_GLOBAL__N_1::crash()") == "(anonymous namespace)::crash"
    assert normalize_function("Foo::bar(int) const") == "Foo::bar"
    assert normalize_function("Writer::Write(int) [clone .constprop.119]") == "Writer::Write"
    assert normalize_function("std::function<void (int)>::operator()(int) const").endswith("::operator()")


def test_inlined_frames_count_as_frames() -> None:
    source = MappingSymbolSource(
        {("crash", "C0BCC3F19827FE653058404B2831D9E60"): [BINARIES / "linux/crash.debug"]}
    )
    crash = process_minidump(dump("linux-amd64-crash.dmp"), source)
    assert crash.fingerprint_frames == ("crash!crash", "crash!start", "crash!main")
    # The same crash seen through the .sym (no inline records) groups by its outer function.
    sym_only = MappingSymbolSource(
        {("crash", "C0BCC3F19827FE653058404B2831D9E60"): [
            SYMBOLS / "crash/C0BCC3F19827FE653058404B2831D9E60/crash.sym"
        ]}
    )  # fmt: skip
    assert process_minidump(dump("linux-amd64-crash.dmp"), sym_only).fingerprint_frames[0] == "crash!main"


def test_inline_stack_trace_fingerprint() -> None:
    a = fingerprint_stack_trace(
        ["game.exe!Physics::Step(float) + 0x12", "game.exe!World::Tick [world.cpp:40]"]
    )
    b = fingerprint_stack_trace(
        ["game.exe!Physics::Step(float) + 0x40", "game.exe!World::Tick [world.cpp:52]"]
    )
    c = fingerprint_stack_trace(["game.exe!Physics::Solve", "game.exe!World::Tick"])
    assert a == b != c
    assert re.fullmatch(r"[0-9a-f]{64}", a)
