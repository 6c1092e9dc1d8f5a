"""ELF (32/64-bit, either byte order): GNU build id, machine, and which debug sections exist."""

from __future__ import annotations

import struct

from mg.debugfiles.ids import guid_from_le_bytes, make_debug_id
from mg.debugfiles.info import DebugFileInfo
from mg.debugfiles.source import Source

MAGIC = b"\x7fELF"

_SHT_SYMTAB, _SHT_NOTE, _SHT_NOBITS = 2, 7, 8
_PT_NOTE = 4
_NT_GNU_BUILD_ID = 3
_MAX_NOTE_BYTES = 1 << 20
# Breakpad's fallback id for binaries without a build id: the first page of .text XOR-folded.
_TEXT_HASH_BYTES = 4096

_MACHINE = {
    2: "sparc",
    3: "x86",
    8: "mips",
    20: "ppc",
    21: "ppc64",
    40: "arm",
    43: "sparcv9",
    62: "x86_64",
    183: "arm64",
    243: "riscv",
}
_WIDE = {"mips": "mips64", "riscv": "riscv64"}
_OSABI = {9: "freebsd", 12: "openbsd", 2: "netbsd", 6: "solaris"}

_DEBUG = {".debug_info", ".zdebug_info"}
_UNWIND = {".eh_frame", ".debug_frame", ".zdebug_frame"}


def read(src: Source, name: str | None) -> list[DebugFileInfo]:
    """Read one ELF object's identifiers."""
    ident = src.read_at(0, 16, "ELF ident")
    elf_class, data = ident[4], ident[5]
    if elf_class not in (1, 2) or data not in (1, 2):
        raise src.error(f"unknown ELF class {elf_class} / data encoding {data}")
    e = "<" if data == 1 else ">"
    wide = elf_class == 2
    if wide:
        fields = src.unpack(f"{e}HHIQQQIHHHHHH", 16, "ELF header")
    else:
        fields = src.unpack(f"{e}HHIIIIIHHHHHH", 16, "ELF header")
    _, machine, _, _, phoff, shoff, _, _, phentsize, phnum, shentsize, shnum, shstrndx = fields

    sections = _sections(src, e, wide, shoff, shentsize, shnum, shstrndx)
    notes = [(off, size) for _, kind, off, size in sections if kind == _SHT_NOTE]
    if not sections:
        # Stripped of section headers: the build id is still in a PT_NOTE segment.
        notes = _note_segments(src, e, wide, phoff, phentsize, phnum)

    build_id = _build_id(src, e, notes)
    debug_id: str | None
    if build_id is not None:
        debug_id = make_debug_id(guid_from_le_bytes(build_id[:16].ljust(16, b"\0")), 0)
        code_id = build_id.hex()
    else:
        text = next((s[2:] for s in sections if s[0] == ".text" and s[1] != _SHT_NOBITS), None)
        debug_id = _text_hash_id(src, text) if text else None
        code_id = None

    features = set()
    for sec_name, kind, _, size in sections:
        if kind == _SHT_NOBITS or size == 0:
            continue  # split debug files keep NOBITS placeholders for the stripped sections
        if kind == _SHT_SYMTAB:
            features.add("symtab")
        elif sec_name in _DEBUG:
            features.add("debug")
        elif sec_name in _UNWIND:
            features.add("unwind")

    arch = _MACHINE.get(machine)
    if arch and wide:
        arch = _WIDE.get(arch, arch)
    file_name = _strip_debug_suffix(name)
    return [
        DebugFileInfo(
            file_type="elf",
            debug_id=debug_id,
            code_id=code_id,
            debug_file=file_name,
            code_file=file_name,
            arch=arch,
            os=_OSABI.get(ident[7], "linux"),
            features=frozenset(features),
        )
    ]


def _sections(
    src: Source, e: str, wide: bool, shoff: int, shentsize: int, shnum: int, shstrndx: int
) -> list[tuple[str, int, int, int]]:
    """(name, type, offset, size) of every section; empty when there is no section table."""
    if shoff == 0:
        return []
    fmt = f"{e}IIQQQQIIQQ" if wide else f"{e}IIIIIIIIII"
    if shentsize < struct.calcsize(fmt):
        raise src.error(f"section header entry size {shentsize} is too small")
    if shnum == 0 or shstrndx == 0xFFFF:
        # Extended numbering: the real counts live in section 0.
        first = struct.unpack(fmt, src.read_at(shoff, struct.calcsize(fmt), "section header 0"))
        shnum = shnum or first[5]
        shstrndx = first[6] if shstrndx == 0xFFFF else shstrndx
    table = src.read_at(shoff, shentsize * shnum, "section header table")
    raw = [struct.unpack_from(fmt, table, i * shentsize) for i in range(shnum)]
    headers = [(h[0], h[1], h[4], h[5]) for h in raw]

    names = b""
    if shstrndx < shnum:
        _, kind, off, size = headers[shstrndx]
        if kind != _SHT_NOBITS:
            names = src.read_at(off, size, "section name table")
    out = []
    for name_off, kind, off, size in headers:
        end = names.find(b"\0", name_off)
        name = names[name_off:end].decode("ascii", "replace") if end >= 0 else ""
        if kind != _SHT_NOBITS and off + size > src.size:
            raise src.error(f"section {name or '?'} at offset {off:#x} ({size} bytes) ends past the end")
        out.append((name, kind, off, size))
    return out


def _note_segments(
    src: Source, e: str, wide: bool, phoff: int, phentsize: int, phnum: int
) -> list[tuple[int, int]]:
    if phoff == 0 or phnum == 0:
        return []
    fmt = f"{e}IIQQQQQQ" if wide else f"{e}IIIIIIII"
    if phentsize < struct.calcsize(fmt):
        raise src.error(f"program header entry size {phentsize} is too small")
    table = src.read_at(phoff, phentsize * phnum, "program header table")
    out = []
    for i in range(phnum):
        h = struct.unpack_from(fmt, table, i * phentsize)
        # 64-bit: type, flags, offset, vaddr, paddr, filesz; 32-bit: type, offset, vaddr, paddr, filesz.
        kind, off, size = (h[0], h[2], h[5]) if wide else (h[0], h[1], h[4])
        if kind == _PT_NOTE:
            out.append((off, size))
    return out


def _build_id(src: Source, e: str, notes: list[tuple[int, int]]) -> bytes | None:
    for off, size in notes:
        if size > _MAX_NOTE_BYTES:
            continue
        data = src.read_at(off, size, "note section")
        pos = 0
        while pos + 12 <= len(data):
            namesz, descsz, kind = struct.unpack_from(f"{e}III", data, pos)
            name_at = pos + 12
            desc_at = name_at + (namesz + 3) // 4 * 4
            end = desc_at + (descsz + 3) // 4 * 4
            if desc_at + descsz > len(data):
                break
            if kind == _NT_GNU_BUILD_ID and data[name_at : name_at + namesz] == b"GNU\0" and descsz:
                return data[desc_at : desc_at + descsz]
            pos = end
    return None


def _text_hash_id(src: Source, text: tuple[int, int]) -> str:
    off, size = text
    page = src.read_at(off, min(size, _TEXT_HASH_BYTES), ".text")
    folded = bytearray(16)
    for i, byte in enumerate(page):
        folded[i % 16] ^= byte
    return make_debug_id(guid_from_le_bytes(bytes(folded)), 0)


def _strip_debug_suffix(name: str | None) -> str | None:
    # `objcopy --only-keep-debug app app.debug`: the split file is keyed by the binary's name.
    if name and name.endswith(".debug") and len(name) > len(".debug"):
        return name[: -len(".debug")]
    return name
