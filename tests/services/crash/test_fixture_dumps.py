"""Each fixture dump processes to the README's crash reason, address, thread, modules and frames."""

from __future__ import annotations

import json
import re

import pytest

from local_gateway.services.debug.crash import (
    MappingSymbolSource,
    NoSymbols,
    ProcessedCrash,
    process_minidump,
)
from mg.debugfiles.ids import base_name
from tests.services.crash import BINARIES, EXPECTED, SYMBOLS, VALID, dump


@pytest.mark.parametrize("name", VALID)
def test_crash_reason_address_and_thread(processed: dict[str, ProcessedCrash], name: str) -> None:
    expected = EXPECTED[name]
    crash = processed[name]
    assert crash.crash_reason == expected["crash_reason"]
    assert crash.crash_address == int(expected["crash_address"], 16)
    assert crash.crashing_thread == expected["crashing_thread"]["index"]
    assert crash.crashing_tid == expected["crashing_thread"]["tid"]
    assert crash.threads[crash.crashing_thread].crashed
    if "thread_count" in expected:
        assert len(crash.threads) == expected["thread_count"]
        assert len(crash.modules) == expected["module_count"]
    assert crash.system.cpu_arch == expected["cpu"]
    # The README's "os" is a summary ("Linux 4.9.60-linuxkit-aufs (Ubuntu 16.04.3)"): its first
    # word and the version's number part must match.
    assert expected["os"].split()[0] == crash.system.os.split()[0]
    version = re.match(r"[\d.]+", crash.system.os_version)
    assert version is not None and version.group(0) in expected["os"]
    if "timestamp" in expected:
        assert crash.timestamp == expected["timestamp"]


@pytest.mark.parametrize("name", VALID)
def test_main_module_ids(processed: dict[str, ProcessedCrash], name: str) -> None:
    expected = EXPECTED[name]["main_module"]
    main = processed[name].main_module
    assert main is not None
    assert main.base == int(expected["base"], 16)
    assert main.debug_id == expected["debug_id"]
    assert main.code_id == expected["code_id"]
    # Stored by base name: the build machine's path is not needed to find symbols.
    assert main.debug_file == base_name(expected["debug_file"])
    assert main.in_app
    as_json = main.to_dict()
    if "debug_id_uuid" in expected:
        assert as_json["debug_id_uuid"] == expected["debug_id_uuid"]
    if "size" in expected:
        assert main.size == int(expected["size"], 16)


def test_os_versions(processed: dict[str, ProcessedCrash]) -> None:
    windows = processed["windows-x86-test_app.dmp"].system
    assert (windows.os, windows.os_version) == ("Windows NT", "5.1.2600 Service Pack 2")
    assert windows.cpu_info == "GenuineIntel family 6 model 13 stepping 8"
    linux = processed["linux-amd64-crash.dmp"].system
    assert linux.os_version.startswith("4.9.60-linuxkit-aufs")
    assert linux.distribution == "Ubuntu 16.04.3 LTS"
    assert processed["macos-amd64-crash.dmp"].system.os_version == "10.12.6 16G29"
    assert processed["linux-amd64-crashpad-linux_inline.dmp"].system.os_version.startswith("5.10.28-1rodete2")


def _frames(crash: ProcessedCrash) -> list[tuple[str | None, str | None, str | None, int | None, str]]:
    thread = crash.crashed_thread
    assert thread is not None
    return [(f.module, f.function, f.file, f.line, f.trust) for f in thread.frames]


def test_windows_test_app_frames(processed: dict[str, ProcessedCrash]) -> None:
    frames = _frames(processed["windows-x86-test_app.dmp"])
    assert frames == [
        ("test_app.exe", "`anonymous namespace'::CrashFunction", "c:\\test_app.cc", 58, "context"),
        ("test_app.exe", "main", "c:\\test_app.cc", 65, "cfi"),
        (
            "test_app.exe",
            "__tmainCRTStartup",
            "f:\\sp\\vctools\\crt_bld\\self_x86\\crt\\src\\crt0.c",
            327,
            "cfi",
        ),
        ("kernel32.dll", "BaseProcessStart", None, None, "cfi"),
    ]
    top = processed["windows-x86-test_app.dmp"].threads[0].frames
    assert [f.instruction for f in top] == [0x0040429E, 0x00404200, 0x004053EC, 0x7C816FD7]
    assert top[0].function_offset == 0x429E - 0x4290
    assert top[0].registers is not None and top[0].registers["eip"] == 0x0040429E


def test_windows_test_app_without_kernel32_symbols() -> None:
    only_app = MappingSymbolSource(
        {("test_app.pdb", "5A9832E5287241C1838ED98914E9B7FF1"): [
            SYMBOLS / "test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1/test_app.sym"
        ]}
    )  # fmt: skip
    crash = process_minidump(dump("windows-x86-test_app.dmp"), only_app)
    frame = crash.threads[0].frames[3]
    assert (frame.module, frame.function, frame.module_offset, frame.trust) == (
        "kernel32.dll",
        None,
        0x16FD6,
        "cfi",
    )
    assert "kernel32.pdb/BCE8785C57B44245A669896B6A19B9542" in crash.missing_symbols


def test_windows_crash_frames(processed: dict[str, ProcessedCrash]) -> None:
    frames = _frames(processed["windows-x86-crash.dmp"])
    assert frames[:2] == [
        ("crash.exe", "main", "c:\\projects\\breakpad-tools\\windows\\crash\\main.cpp", 35, "context"),
        (
            "crash.exe",
            "__scrt_common_main_seh",
            "f:\\dd\\vctools\\crt\\vcstartup\\src\\startup\\exe_common.inl",
            283,
            "cfi",
        ),
    ]
    assert [(m, t) for m, _f, _file, _l, t in frames[2:]] == [
        ("kernel32.dll", "cfi"),
        ("ntdll.dll", "frame_pointer"),
        ("ntdll.dll", "frame_pointer"),
    ]
    instructions = [f.instruction for f in processed["windows-x86-crash.dmp"].threads[0].frames]
    assert instructions[3:] == [0x771D0F79, 0x771D0F44]


def test_linux_crash_frames_with_cfi_and_publics(processed: dict[str, ProcessedCrash]) -> None:
    crash = processed["linux-amd64-crash.dmp"]
    first, second = crash.threads[0].frames[:2]
    assert (first.module, first.function, first.function_offset, first.trust) == (
        "crash",
        "main",
        0x102,
        "context",
    )
    assert first.instruction == 0x401D72 and first.file is None
    assert (second.module, second.function, second.module_offset, second.trust) == (
        "libc-2.23.so",
        None,
        0x2082F,
        "cfi",
    )


def test_macos_crash_frame(processed: dict[str, ProcessedCrash]) -> None:
    frames = processed["macos-amd64-crash.dmp"].threads[0].frames
    assert (frames[0].function, frames[0].line, frames[0].trust) == ("main", 21, "context")
    # The build machine's user name is scrubbed and `macos/../macos` folded.
    assert frames[0].file == "/Users/<user>/build/getsentry/breakpad-tools/macos/main.cpp"
    assert (frames[1].module, frames[1].module_offset, frames[1].trust) == ("libdyld.dylib", 0x5234, "scan")


def test_linux_inline_frames_from_sym_without_trailing_newline(processed: dict[str, ProcessedCrash]) -> None:
    frame = processed["linux-amd64-crashpad-linux_inline.dmp"].threads[0].frames[0]
    assert (frame.function, frame.file, frame.line, frame.module_offset) == ("main", "a.cpp", 42, 0x161B6)
    assert frame.function_offset == 0x161B6 - 0x15B30
    assert [(i.function, i.file, i.line) for i in frame.inlines] == [
        ("func()", "linux_inline.cpp", 27),
        ("bar()", "c.cpp", 32),
        ("foo()", "b.cpp", 39),
    ]


def test_crashpad_simple_frame_pointer_walk(processed: dict[str, ProcessedCrash]) -> None:
    crash = processed["macos-amd64-crashpad-simple.dmp"]
    expected = EXPECTED["macos-amd64-crashpad-simple.dmp"]["top_frames_no_symbols"]
    got = [(f.module, f.module_offset, f.trust) for f in crash.threads[0].frames[: len(expected)]]
    assert got == [(e["module"], int(e["module_offset"], 16), e["trust"]) for e in expected]
    assert crash.tags["hello"] == "world"
    assert crash.tags["libsystem_c.dylib:list.0"] == "abort() called"
    assert crash.tags["crashpad.report_id"] == "42F9DE72-518A-43DD-97D7-8DDC328D3662"


def test_windows_crash_inlines_from_the_pdb() -> None:
    source = MappingSymbolSource(
        {("crash.pdb", "3249D99D0C4049318610F4E4FB0B69361"): [BINARIES / "windows/crash.pdb"]}
    )
    frames = process_minidump(dump("windows-x86-crash.dmp"), source).threads[0].frames
    assert (frames[0].function, frames[0].line) == ("main(int, char**)", 35)
    assert [(i.function, i.line) for i in frames[0].inlines] == [
        ("`anonymous namespace'::crash()", 24),
        ("`anonymous namespace'::start()", 28),
    ]
    assert frames[0].file == "c:\\projects\\breakpad-tools\\windows\\crash\\main.cpp"
    # The PDB's own unwind data (through symbolic's CFI cache) walks to the same caller.
    assert (frames[1].function, frames[1].line, frames[1].trust) == ("__scrt_common_main_seh()", 283, "cfi")
    assert [(i.function, i.line) for i in frames[1].inlines] == [("invoke_main()", 78)]


def test_linux_crash_inlines_from_split_dwarf() -> None:
    source = MappingSymbolSource(
        {("crash", "C0BCC3F19827FE653058404B2831D9E60"): [
            BINARIES / "linux/crash.debug",
            SYMBOLS / "crash/C0BCC3F19827FE653058404B2831D9E60/crash.sym",
        ]}
    )  # fmt: skip
    frames = process_minidump(dump("linux-amd64-crash.dmp"), source).threads[0].frames
    assert (frames[0].function, frames[0].file, frames[0].line) == ("main", "/work/linux/main.cpp", 35)
    assert [(i.function, i.line) for i in frames[0].inlines] == [("crash", 23), ("start", 27)]
    assert (frames[1].module, frames[1].trust) == ("libc-2.23.so", "cfi")


def test_macos_crash_inlines_from_the_dsym_demangled() -> None:
    source = MappingSymbolSource(
        {("crash", "67E9247C814E392BA027DBDE6748FCBF0"): [
            BINARIES / "macos/crash.dSYM/Contents/Resources/DWARF/crash"
        ]}
    )  # fmt: skip
    crash = process_minidump(dump("macos-amd64-crash.dmp"), source)
    frames = crash.threads[0].frames
    assert (frames[0].function, frames[0].line) == ("main", 32)
    assert frames[0].file == "/Users/<user>/build/getsentry/breakpad-tools/macos/main.cpp"
    assert "travis" not in json.dumps(crash.to_dict())
    assert [(i.function, i.line) for i in frames[0].inlines] == [
        ("(anonymous namespace)::crash()", 21),
        ("(anonymous namespace)::start()", 25),
    ]


def test_symbols_with_another_debug_id_are_not_used() -> None:
    wrong = MappingSymbolSource(
        {("test_app.pdb", "5A9832E5287241C1838ED98914E9B7FF1"): [
            SYMBOLS / "crash.pdb/3249D99D0C4049318610F4E4FB0B69361/crash.sym"
        ]}
    )  # fmt: skip
    crash = process_minidump(dump("windows-x86-test_app.dmp"), wrong)
    assert crash.threads[0].frames[0].function is None
    assert any("have debug id 3249D99D" in w for w in crash.warnings)


def test_without_symbols_frames_have_modules_and_offsets() -> None:
    crash = process_minidump(dump("windows-x86-test_app.dmp"), NoSymbols())
    top = crash.threads[0].frames[0]
    assert (top.module, top.module_offset, top.function, top.trust) == (
        "test_app.exe",
        0x429E,
        None,
        "context",
    )
    assert crash.fingerprint_frames[0] == "test_app.exe+0x429e"


@pytest.mark.parametrize("name", VALID)
def test_result_is_json_serialisable(processed: dict[str, ProcessedCrash], name: str) -> None:
    answer = json.loads(json.dumps(processed[name].to_dict()))
    assert answer["crash_reason"] == EXPECTED[name]["crash_reason"]
    thread = answer["threads"][answer["crashing_thread"]]
    assert thread["crashed"] and thread["frames"][0]["trust"] == "context"
    assert answer["modules"][0]["debug_id"] == EXPECTED[name]["main_module"]["debug_id"]
    assert answer["fingerprint"] == processed[name].fingerprint and len(answer["fingerprint"]) == 64
