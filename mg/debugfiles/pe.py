"""PE / PE32+ executables: code id from the COFF header, debug id from the CodeView record."""

from __future__ import annotations

import struct

from mg.debugfiles.ids import base_name, guid_from_le_bytes, make_debug_id
from mg.debugfiles.info import DebugFileInfo
from mg.debugfiles.source import Source

MAGIC = b"MZ"

_MACHINE = {
    0x14C: "x86",
    0x8664: "x86_64",
    0xAA64: "arm64",
    0xA641: "arm64",  # ARM64EC
    0x1C0: "arm",
    0x1C4: "arm",
    0x200: "ia64",
}
_DIR_EXPORT, _DIR_EXCEPTION, _DIR_DEBUG = 0, 3, 6
_DEBUG_TYPE_CODEVIEW = 2
_MAX_DEBUG_ENTRIES = 64
_MAX_PE_OFFSET = 1 << 16


def read(src: Source, name: str | None) -> list[DebugFileInfo]:
    """Read one PE image's identifiers."""
    (pe_offset,) = src.unpack("<I", 0x3C, "DOS header")
    if pe_offset >= _MAX_PE_OFFSET and pe_offset + 4 > src.size:
        # Linkers put the PE header within the first KiB: an offset this far out and past the end
        # is a DOS program's (or a text's) bytes, not a cut image.
        return []
    if src.read_at(pe_offset, 4, "PE signature") != b"PE\0\0":
        return []  # a DOS program (or text that starts with "MZ"), not a Windows image
    machine, n_sections, timestamp, _, _, opt_size, _ = src.unpack("<HHIIIHH", pe_offset + 4, "COFF header")
    opt_offset = pe_offset + 24
    opt = src.read_at(opt_offset, opt_size, "optional header")
    if len(opt) < 2:
        raise src.error("optional header is missing")
    (magic,) = struct.unpack_from("<H", opt)
    if magic == 0x10B:
        dirs_at = 96
    elif magic == 0x20B:
        dirs_at = 112
    else:
        raise src.error(f"unknown optional header magic {magic:#x}")
    if len(opt) < dirs_at:
        raise src.error("optional header is shorter than its fields")
    (size_of_image,) = struct.unpack_from("<I", opt, 56)
    (n_dirs,) = struct.unpack_from("<I", opt, dirs_at - 4)
    n_dirs = min(n_dirs, (len(opt) - dirs_at) // 8)
    dirs = [struct.unpack_from("<II", opt, dirs_at + 8 * i) for i in range(n_dirs)]

    sections = []
    table = src.read_at(opt_offset + opt_size, 40 * n_sections, "section table")
    for i in range(n_sections):
        vsize, vaddr, raw_size, raw_ptr = struct.unpack_from("<IIII", table, 40 * i + 8)
        if raw_size and raw_ptr + raw_size > src.size:
            section = table[40 * i : 40 * i + 8].rstrip(b"\0").decode("ascii", "replace")
            raise src.error(f"section {section} at offset {raw_ptr:#x} ({raw_size} bytes) ends past the end")
        sections.append((vaddr, max(vsize, raw_size), raw_ptr))

    debug_id = pdb_name = None
    if len(dirs) > _DIR_DEBUG and dirs[_DIR_DEBUG][1]:
        debug_id, pdb_name = _codeview(src, dirs[_DIR_DEBUG], sections)

    features = set()
    if len(dirs) > _DIR_EXPORT and dirs[_DIR_EXPORT][1]:
        features.add("symtab")
    if len(dirs) > _DIR_EXCEPTION and dirs[_DIR_EXCEPTION][1]:
        features.add("unwind")

    return [
        DebugFileInfo(
            file_type="pe",
            debug_id=debug_id,
            # Symbol servers key binaries by `%08X` TimeDateStamp + `%x` SizeOfImage, mixed case.
            code_id=f"{timestamp:08X}{size_of_image:x}",
            debug_file=pdb_name,
            code_file=name,
            arch=_MACHINE.get(machine),
            os="windows",
            features=frozenset(features),
        )
    ]


def _file_offset(rva: int, sections: list[tuple[int, int, int]]) -> int | None:
    for vaddr, vsize, raw_ptr in sections:
        if vaddr <= rva < vaddr + vsize:
            return raw_ptr + (rva - vaddr)
    return None


def _codeview(
    src: Source, directory: tuple[int, int], sections: list[tuple[int, int, int]]
) -> tuple[str | None, str | None]:
    """The first RSDS CodeView record: (debug id, PDB base name)."""
    rva, size = directory
    offset = _file_offset(rva, sections)
    if offset is None:
        raise src.error(f"debug directory RVA {rva:#x} is outside every section")
    count = min(size // 28, _MAX_DEBUG_ENTRIES)
    entries = src.read_at(offset, 28 * count, "debug directory")
    for i in range(count):
        kind, data_size, _, data_ptr = struct.unpack_from("<IIII", entries, 28 * i + 12)
        if kind != _DEBUG_TYPE_CODEVIEW or data_size < 24:
            continue
        record = src.read_at(data_ptr, data_size, "CodeView record")
        if record[:4] != b"RSDS":
            continue  # NB10 (pre-2002 toolchains) carries no GUID
        guid = guid_from_le_bytes(record[4:20])
        (age,) = struct.unpack_from("<I", record, 20)
        path = record[24:].split(b"\0", 1)[0].decode("utf-8", "replace")
        return make_debug_id(guid, age), base_name(path) or None
    return None, None
