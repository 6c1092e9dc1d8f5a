"""Damaged, hostile and look-alike files: a one-line DebugFileError or None, never a traceback."""

from __future__ import annotations

import io
import random
import struct
import time
import zipfile
from pathlib import Path

import pytest

from mg.debugfiles import DebugFileError, detect, detect_all
from tests.debugfiles import FIXTURES

BINARIES = [
    "binaries/windows/crash.exe",
    "binaries/windows/crash.pdb",
    "binaries/linux/crash",
    "binaries/linux/crash.debug",
    "binaries/macos/crash",
    "binaries/macos/crash.dSYM/Contents/Resources/DWARF/crash",
    "symsrv/ShowSSEConfig.exe/63E6C7F78000/ShowSSEConfig.exe",
    "symsrv/ShowSSEConfig.pdb/A62592418D7807494C4C44205044422E1/ShowSSEConfig.pdb",
]
DWARF_MEMBER = "crash.dSYM/Contents/Resources/DWARF/crash"


def _error(data: bytes) -> str:
    with pytest.raises(DebugFileError) as caught:
        detect(io.BytesIO(data))
    message = str(caught.value)
    assert "\n" not in message and message
    return message


def test_pdb_cut_in_half() -> None:
    data = (FIXTURES / "binaries/windows/crash.pdb").read_bytes()
    message = _error(data[: len(data) // 2])
    assert message == "truncated PDB file: its header says 1019904 bytes but the file has 509952"


def test_pdb_with_only_a_superblock() -> None:
    assert "PDB" in _error((FIXTURES / "binaries/windows/crash.pdb").read_bytes()[:40])


def test_random_bytes_behind_an_elf_magic() -> None:
    rng = random.Random(7)
    message = _error(b"\x7fELF" + rng.randbytes(4000))
    assert message.startswith(("truncated or corrupt ELF file", "corrupt ELF file"))


@pytest.mark.parametrize(
    ("rel", "kind"),
    [
        ("binaries/linux/crash", "ELF"),
        ("binaries/linux/crash.debug", "ELF"),
        ("binaries/macos/crash", "Mach-O"),
        ("binaries/windows/crash.exe", "PE"),
        ("symsrv/ShowSSEConfig.exe/63E6C7F78000/ShowSSEConfig.exe", "PE"),
    ],
)
def test_binaries_cut_in_half(rel: str, kind: str) -> None:
    data = (FIXTURES / rel).read_bytes()
    assert f"truncated or corrupt {kind} file" in _error(data[: len(data) // 2])


@pytest.mark.parametrize("rel", BINARIES)
def test_any_truncation_is_a_clean_error(rel: str) -> None:
    data = (FIXTURES / rel).read_bytes()
    for length in (4, 16, 63, 64, 200, 1000, 5000, len(data) - 1):
        cut = io.BytesIO(data[:length])
        if length < 32 and data.startswith(b"Microsoft"):
            assert detect(cut) is None  # shorter than the MSF magic: nothing says PDB yet
            continue
        with pytest.raises(DebugFileError):
            detect(cut)


def _structure_regions(data: bytes) -> list[tuple[int, int]]:
    """Byte ranges the readers parse: the headers, plus the PDB stream directory / ELF sections."""
    regions = [(0, min(len(data), 8192))]
    if data.startswith(b"Microsoft"):
        block_size, block_map = struct.unpack_from("<I", data, 32)[0], struct.unpack_from("<I", data, 52)[0]
        (directory,) = struct.unpack_from("<I", data, block_map * block_size)
        regions += [(block_map * block_size, block_map * block_size + 16)]
        regions += [(directory * block_size, (directory + 1) * block_size)]
    elif data.startswith(b"\x7fELF"):
        (shoff,) = struct.unpack_from("<Q", data, 40)
        regions.append((shoff, len(data)))
    return regions


@pytest.mark.parametrize("rel", BINARIES)
def test_mutated_structures_never_leak_low_level_errors(rel: str) -> None:
    """Flip bytes where the structures live: any outcome but a DebugFileError must be a result."""
    data = (FIXTURES / rel).read_bytes()
    regions = _structure_regions(data)
    rng = random.Random(rel)
    for _ in range(150):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 6)):
            start, end = rng.choice(regions)
            mutated[rng.randrange(start, end)] = rng.randrange(256)
        try:
            detect(io.BytesIO(bytes(mutated)))
        except DebugFileError as exc:
            assert "\n" not in str(exc)


def test_renamed_text_file_is_not_a_debug_file(tmp_path: Path) -> None:
    fake = tmp_path / "game.pdb"
    fake.write_text("these are my release notes\n")
    assert detect(fake) is None
    dos_like = tmp_path / "notes.exe"
    dos_like.write_text("MZ-800 emulator notes: " + "x" * 200)  # "MZ" but no PE image behind it
    assert detect(dos_like) is None


def test_breakpad_module_line_must_be_complete() -> None:
    assert "bad MODULE line" in _error(b"MODULE windows x86 3249D99D0C4049318610F4E4FB0B69361\n")
    assert "invalid debug id" in _error(b"MODULE Linux x86_64 NOT-AN-ID crash\nFUNC 0 1 0 main\n")


def test_breakpad_single_line_without_newline_and_crlf() -> None:
    only = detect(io.BytesIO(b"MODULE mac arm64 67E9247C814E392BA027DBDE6748FCBF0 My Game"))
    assert only is not None
    assert (only.debug_file, only.os, only.arch, only.features) == ("My Game", "macos", "arm64", set())
    crlf = b"MODULE windows x86_64 A62592418D7807494C4C44205044422E1 a.pdb\r\n"
    crlf += b"INFO CODE_ID 63E6C7F78000 a.exe\r\nPUBLIC 10 0 f\r\n"
    info = detect(io.BytesIO(crlf))
    assert info is not None
    assert (info.code_id, info.code_file, info.features) == ("63E6C7F78000", "a.exe", {"symtab"})


def test_breakpad_record_split_across_chunks() -> None:
    head = b"MODULE Linux x86_64 C0BCC3F19827FE653058404B2831D9E60 crash\n"
    filler = b"FILE 1 " + b"x" * ((1 << 20) - len(head) - 10) + b"\n"
    data = head + filler + b"STACK CFI INIT 0 1 .cfa: $rsp 8 +\n"
    assert len(head + filler) < 1 << 20 < len(head + filler) + 6  # "\nSTACK" straddles the chunk
    info = detect(io.BytesIO(data))
    assert info is not None and info.features == {"unwind"}


def test_old_pdb_format_is_named() -> None:
    assert "PDB 2.00" in _error(b"Microsoft C/C++ program database 2.00\r\n\x1aJG\0\0" + bytes(100))


def _dsym_zip(path: Path, payload: bytes, method: int = zipfile.ZIP_DEFLATED) -> None:
    with zipfile.ZipFile(path, "w", method) as zf:
        zf.writestr(DWARF_MEMBER, payload)


def test_zip_bomb_by_ratio_is_refused_without_inflating(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf, zf.open(DWARF_MEMBER, "w") as member:
        block = bytes(1 << 20)
        for _ in range(300):
            member.write(block)
    assert bomb.stat().st_size < 1 << 20
    started = time.perf_counter()
    with pytest.raises(DebugFileError, match=r"expands \d+x, over the 200x limit"):
        detect(bomb)
    assert time.perf_counter() - started < 1.0  # refused from the directory, not by inflating


def test_zip_declaring_a_huge_member_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "liar.zip"
    _dsym_zip(archive, b"\xcf\xfa\xed\xfe" + bytes(60), zipfile.ZIP_STORED)
    data = bytearray(archive.read_bytes())
    central = data.rindex(b"PK\x01\x02")
    struct.pack_into("<II", data, central + 20, 0xFFFFFFF0, 0xFFFFFFF0)  # compressed, uncompressed
    with pytest.raises(DebugFileError, match="over the 1 GiB limit"):
        detect(io.BytesIO(bytes(data)))


def test_zip_with_too_many_entries_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "many.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for i in range(10_001):
            zf.writestr(f"f{i}", b"")
    with pytest.raises(DebugFileError, match="10001 entries, over the 10000 limit"):
        detect(archive)


def test_dsym_member_that_is_not_macho(tmp_path: Path) -> None:
    archive = tmp_path / "odd.zip"
    _dsym_zip(archive, b"just text, not DWARF")
    with pytest.raises(DebugFileError, match=f"{DWARF_MEMBER} in the zip: not a Mach-O file"):
        detect_all(archive)


def test_corrupt_zip_is_a_clean_error() -> None:
    with pytest.raises(DebugFileError, match="corrupt zip"):
        detect(io.BytesIO(b"PK\x03\x04" + bytes(100)))
