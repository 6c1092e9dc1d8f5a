"""Every debug fixture in tests/fixtures/debug gives the ids its README states."""

from __future__ import annotations

import hashlib
import io
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mg.debugfiles import (
    DebugFileInfo,
    breakpad_sym_name,
    detect,
    detect_all,
    is_minidump,
)
from tests.debugfiles import FIXTURES

CRASH_PDB_ID = "3249D99D0C4049318610F4E4FB0B69361"
CRASH_ELF_ID = "C0BCC3F19827FE653058404B2831D9E60"
CRASH_MACHO_ID = "67E9247C814E392BA027DBDE6748FCBF0"
SSE_ID = "A62592418D7807494C4C44205044422E1"
DWARF = "binaries/macos/crash.dSYM/Contents/Resources/DWARF/crash"

# path → (file_type, debug_id, debug_id_uuid, code_id, debug_file, code_file, arch, os, features)
EXPECTED = {
    "binaries/windows/crash.exe": (
        "pe", CRASH_PDB_ID, "3249d99d-0c40-4931-8610-f4e4fb0b6936-1", "5AB380779000",
        "crash.pdb", "crash.exe", "x86", "windows", set(),
    ),
    "binaries/windows/crash.pdb": (
        "pdb", CRASH_PDB_ID, "3249d99d-0c40-4931-8610-f4e4fb0b6936-1", None,
        "crash.pdb", None, "x86", "windows", {"debug", "symtab", "unwind"},
    ),
    "binaries/linux/crash": (
        "elf", CRASH_ELF_ID, "c0bcc3f1-9827-fe65-3058-404b2831d9e6",
        "f1c3bcc0279865fe3058404b2831d9e64135386c", "crash", "crash", "x86_64", "linux",
        {"symtab", "unwind"},
    ),
    # The split debug file is keyed by the binary's name; its .eh_frame is a NOBITS stub.
    "binaries/linux/crash.debug": (
        "elf", CRASH_ELF_ID, "c0bcc3f1-9827-fe65-3058-404b2831d9e6",
        "f1c3bcc0279865fe3058404b2831d9e64135386c", "crash", "crash", "x86_64", "linux",
        {"debug", "symtab"},
    ),
    "binaries/macos/crash": (
        "macho", CRASH_MACHO_ID, "67e9247c-814e-392b-a027-dbde6748fcbf",
        "67e9247c814e392ba027dbde6748fcbf", "crash", "crash", "x86_64", "macos", {"symtab", "unwind"},
    ),
    DWARF: (
        "macho", CRASH_MACHO_ID, "67e9247c-814e-392b-a027-dbde6748fcbf",
        "67e9247c814e392ba027dbde6748fcbf", "crash", "crash", "x86_64", "macos", {"debug", "symtab"},
    ),
    "symsrv/ShowSSEConfig.exe/63E6C7F78000/ShowSSEConfig.exe": (
        "pe", SSE_ID, "a6259241-8d78-0749-4c4c-44205044422e-1", "63E6C7F78000",
        "ShowSSEConfig.pdb", "ShowSSEConfig.exe", "x86_64", "windows", {"unwind"},
    ),
    # The PDB-info stream says age 2; the DBI stream's age 1 is the key.
    f"symsrv/ShowSSEConfig.pdb/{SSE_ID}/ShowSSEConfig.pdb": (
        "pdb", SSE_ID, "a6259241-8d78-0749-4c4c-44205044422e-1", None,
        "ShowSSEConfig.pdb", None, "x86_64", "windows", {"debug", "symtab"},
    ),
    "symbols/test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1/test_app.sym": (
        "sym", "5A9832E5287241C1838ED98914E9B7FF1", "5a9832e5-2872-41c1-838e-d98914e9b7ff-1", None,
        "test_app.pdb", None, "x86", "windows", {"debug", "symtab", "unwind"},
    ),
    "symbols/kernel32.pdb/BCE8785C57B44245A669896B6A19B9542/kernel32.sym": (
        "sym", "BCE8785C57B44245A669896B6A19B9542", "bce8785c-57b4-4245-a669-896b6a19b954-2", None,
        "kernel32.pdb", None, "x86", "windows", {"symtab", "unwind"},
    ),
    f"symbols/crash.pdb/{CRASH_PDB_ID}/crash.sym": (
        "sym", CRASH_PDB_ID, "3249d99d-0c40-4931-8610-f4e4fb0b6936-1", "5AB380779000",
        "crash.pdb", "crash.exe", "x86", "windows", {"debug", "symtab", "unwind"},
    ),
    f"symbols/crash/{CRASH_ELF_ID}/crash.sym": (
        "sym", CRASH_ELF_ID, "c0bcc3f1-9827-fe65-3058-404b2831d9e6",
        "f1c3bcc0279865fe3058404b2831d9e64135386c", "crash", "crash", "x86_64", "linux",
        {"symtab", "unwind"},
    ),
    f"symbols/crash/{CRASH_MACHO_ID}/crash.sym": (
        "sym", CRASH_MACHO_ID, "67e9247c-814e-392b-a027-dbde6748fcbf", None,
        "crash", "crash", "x86_64", "macos", {"debug", "symtab", "unwind"},
    ),
    # No trailing newline; an 8-byte build id zero-padded to a GUID.
    "symbols/linux_inline/BBA6FA10B8AAB33D00000000000000000/linux_inline.sym": (
        "sym", "BBA6FA10B8AAB33D00000000000000000", "bba6fa10-b8aa-b33d-0000-000000000000",
        "10faa6bbaab83db3", "linux_inline", "linux_inline", "x86_64", "linux", {"debug"},
    ),
}  # fmt: skip

NOT_DEBUG_FILES = [
    "symsrv/ShowSSEConfig.exe/63E6C7F78000/ShowSSEConfig.ex_",
    f"symsrv/ShowSSEConfig.pdb/{SSE_ID}/ShowSSEConfig.pd_",
    "binaries/macos/crash.dSYM/Contents/Info.plist",
    "README.md",
    "SHA256SUMS",
    "expected/stackwalk-expected.json",
    "expected/breakpad-minidump2.stackwalk.out",
]
MINIDUMPS = sorted(str(p.relative_to(FIXTURES)) for p in FIXTURES.glob("minidumps/**/*.dmp"))


def _fields(info: DebugFileInfo) -> tuple:
    return (
        info.file_type, info.debug_id, info.debug_id_uuid, info.code_id, info.debug_file,
        info.code_file, info.arch, info.os, set(info.features),
    )  # fmt: skip


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_fixture_ids(rel: str) -> None:
    path = FIXTURES / rel
    info = detect(path)
    assert info is not None
    assert _fields(info) == EXPECTED[rel]
    assert info.size == path.stat().st_size
    assert info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert detect_all(path) == [info]


def test_breakpad_layout_matches_module_line() -> None:
    """symbols/ is <debug_file>/<DEBUG_ID>/<sym name>: the ids read must rebuild each path."""
    syms = sorted(FIXTURES.glob("symbols/*/*/*.sym"))
    assert len(syms) == 6
    for path in syms:
        info = detect(path)
        assert info is not None
        assert path.relative_to(FIXTURES / "symbols").parts == (
            info.debug_file,
            info.debug_id,
            breakpad_sym_name(info.debug_file),
        )


def test_symsrv_layout_matches_ids() -> None:
    exe = detect(FIXTURES / "symsrv/ShowSSEConfig.exe/63E6C7F78000/ShowSSEConfig.exe")
    pdb = detect(FIXTURES / f"symsrv/ShowSSEConfig.pdb/{SSE_ID}/ShowSSEConfig.pdb")
    assert exe is not None and pdb is not None
    assert f"{exe.code_file}/{exe.code_id}" == "ShowSSEConfig.exe/63E6C7F78000"
    assert f"{pdb.debug_file}/{pdb.debug_id}" == f"ShowSSEConfig.pdb/{SSE_ID}"
    assert exe.debug_id == pdb.debug_id and exe.debug_file == pdb.debug_file


@pytest.mark.parametrize("rel", NOT_DEBUG_FILES + MINIDUMPS)
def test_not_debug_files(rel: str) -> None:
    assert detect(FIXTURES / rel) is None
    assert detect_all(FIXTURES / rel) == []


@pytest.mark.parametrize("rel", MINIDUMPS)
def test_minidumps_are_recognised(rel: str) -> None:
    assert is_minidump((FIXTURES / rel).read_bytes()[:8])


def test_is_minidump_rejects_debug_files() -> None:
    assert not is_minidump((FIXTURES / "binaries/windows/crash.pdb").read_bytes()[:64])
    assert not is_minidump(b"")


def test_zipped_dsym(tmp_path: Path) -> None:
    bundle = FIXTURES / "binaries/macos/crash.dSYM"
    archive = tmp_path / "crash.dSYM.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(bundle.rglob("*")):
            zf.write(path, Path("crash.dSYM") / path.relative_to(bundle))
    info = detect(archive)
    assert info is not None
    assert (info.file_type, info.debug_id) == ("dsym", CRASH_MACHO_ID)
    assert info.code_id == "67e9247c814e392ba027dbde6748fcbf"
    assert (info.debug_file, info.arch, info.os) == ("crash", "x86_64", "macos")
    assert info.features == {"debug", "symtab"}
    assert info.sha256 == hashlib.sha256(archive.read_bytes()).hexdigest()
    assert info.size == archive.stat().st_size


def test_zip_without_dsym_is_not_a_debug_file(tmp_path: Path) -> None:
    archive = tmp_path / "assets.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("textures/readme.txt", "not symbols")
        zf.write(FIXTURES / "binaries/macos/crash", "bin/crash")  # a Mach-O, but not in a .dSYM
    assert detect(archive) is None


def _fat(slices: list[bytes], wide: bool) -> bytes:
    align = 0x1000
    entries, body, offset = b"", b"", align
    for data in slices:
        cputype, subtype = struct.unpack_from("<ii", data, 4)
        if wide:
            entries += struct.pack(">iiQQII", cputype, subtype, offset, len(data), 12, 0)
        else:
            entries += struct.pack(">iiIII", cputype, subtype, offset, len(data), 12)
        padded = data + b"\0" * (-len(data) % align)
        body += padded
        offset += len(padded)
    header = struct.pack(">II", 0xCAFEBABF if wide else 0xCAFEBABE, len(slices)) + entries
    return header.ljust(align, b"\0") + body


@pytest.mark.parametrize("wide", [False, True])
def test_universal_binary_gives_one_info_per_slice(wide: bool) -> None:
    x86_64 = (FIXTURES / "binaries/macos/crash").read_bytes()
    uuid = bytes.fromhex(CRASH_MACHO_ID[:32])
    other = bytes(range(16))
    arm64 = bytearray(x86_64.replace(uuid, other, 1))
    struct.pack_into("<ii", arm64, 4, 0x0100000C, 0)
    data = _fat([x86_64, bytes(arm64)], wide)

    infos = detect_all(io.BytesIO(data), name="crash")
    assert [(i.arch, i.debug_id, i.file_type, i.debug_file) for i in infos] == [
        ("x86_64", CRASH_MACHO_ID, "macho", "crash"),
        ("arm64", other.hex().upper() + "0", "macho", "crash"),
    ]
    assert {i.sha256 for i in infos} == {hashlib.sha256(data).hexdigest()}
    assert detect(io.BytesIO(data), name="crash") == infos[0]


def test_java_class_is_not_a_universal_binary() -> None:
    java = b"\xca\xfe\xba\xbe\x00\x00\x00\x34" + b"\0" * 200  # class file version 52
    assert detect(io.BytesIO(java)) is None


def test_file_object_input_keeps_position_and_name(tmp_path: Path) -> None:
    path = FIXTURES / "binaries/windows/crash.pdb"
    with path.open("rb") as f:
        f.seek(123)
        info = detect(f)
        assert f.tell() == 123
    assert info is not None and info.debug_file == "crash.pdb"

    anonymous = detect(io.BytesIO(path.read_bytes()))
    assert anonymous is not None and anonymous.debug_file is None
    named = detect(io.BytesIO(path.read_bytes()), name="upload/Game.pdb")
    assert named is not None and named.debug_file == "Game.pdb"
    assert anonymous.debug_id == named.debug_id == CRASH_PDB_ID


def test_text_mode_and_unseekable_inputs_are_refused(tmp_path: Path) -> None:
    path = FIXTURES / "binaries/linux/crash"
    with path.open("r", encoding="latin-1") as text, pytest.raises(ValueError, match="binary"):
        detect(text)  # type: ignore[arg-type]

    class Pipe(io.RawIOBase):
        def readable(self) -> bool:
            return True

    with pytest.raises(ValueError, match="seekable"):
        detect(Pipe())  # type: ignore[arg-type]


class _Recorder(io.BytesIO):
    """Records the size of every read, to check what detection costs."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.reads.append(-1 if size is None else size)
        return super().read(size)


def test_non_debug_file_costs_one_header_read() -> None:
    recorder = _Recorder(b"\x13\x37" + bytes(4 << 20))
    assert detect(recorder) is None
    assert len(recorder.reads) == 1 and 0 < recorder.reads[0] <= 4096


def test_hashing_streams_in_bounded_chunks() -> None:
    data = (FIXTURES / "binaries/linux/crash.debug").read_bytes()
    recorder = _Recorder(data)
    info = detect(recorder)
    assert info is not None and info.sha256 == hashlib.sha256(data).hexdigest()
    assert -1 not in recorder.reads
    assert max(recorder.reads) <= 1 << 20 < len(data)


def test_package_import_stays_light() -> None:
    """The CLI imports this at start-up; zip and hash machinery load only when used."""
    code = "import sys, mg.debugfiles; print(sorted({'zipfile', 'hashlib', 'zlib'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
