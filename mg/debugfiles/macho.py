"""Mach-O (32/64-bit, either byte order) and universal ("fat") binaries: LC_UUID per slice."""

from __future__ import annotations

import struct

from mg.debugfiles.ids import make_debug_id
from mg.debugfiles.info import DebugFileError, DebugFileInfo, FileType
from mg.debugfiles.source import Source

# First four bytes as on disk → (64-bit, struct byte order).
THIN = {
    b"\xce\xfa\xed\xfe": (False, "<"),
    b"\xcf\xfa\xed\xfe": (True, "<"),
    b"\xfe\xed\xfa\xce": (False, ">"),
    b"\xfe\xed\xfa\xcf": (True, ">"),
}
FAT = {b"\xca\xfe\xba\xbe": False, b"\xca\xfe\xba\xbf": True}
# Java class files share 0xCAFEBABE; there the next word is the class version (>= 45), while a
# universal binary has a handful of slices. The same cut is what file(1) uses.
_MAX_FAT_ARCHS = 44

_LC_SEGMENT, _LC_SYMTAB, _LC_UUID, _LC_SEGMENT_64 = 0x1, 0x2, 0x1B, 0x19
_LC_BUILD_VERSION = 0x32
_LC_VERSION_MIN = {0x24: "macos", 0x25: "ios", 0x2F: "tvos", 0x30: "watchos"}
_PLATFORM = {1: "macos", 2: "ios", 3: "tvos", 4: "watchos", 6: "macos", 7: "ios", 8: "tvos", 9: "watchos"}

_ABI64 = 0x01000000
_ARM_SUBTYPES = {6: "armv6", 9: "armv7", 11: "armv7s", 12: "armv7k"}

_DEBUG = {("__DWARF", "__debug_info")}
_UNWIND = {("__TEXT", "__unwind_info"), ("__TEXT", "__eh_frame"), ("__DWARF", "__debug_frame")}


def is_fat(header: bytes) -> bool:
    """A universal binary header (and not a Java class file, which shares the magic)."""
    if header[:4] not in FAT or len(header) < 8:
        return False
    count: int = struct.unpack_from(">I", header, 4)[0]
    return 0 < count <= _MAX_FAT_ARCHS


def read(src: Source, name: str | None, file_type: FileType = "macho") -> list[DebugFileInfo]:
    """One info per slice: a thin file gives one, a universal binary one per architecture."""
    magic = src.read_at(0, 4, "magic")
    if magic in THIN:
        return [_thin(src, name, file_type)]
    if magic not in FAT:
        raise DebugFileError("not a Mach-O file")
    wide = FAT[magic]
    (count,) = src.unpack(">I", 4, "fat header")
    if not 0 < count <= _MAX_FAT_ARCHS:
        raise src.error(f"universal binary claims {count} architectures")
    fmt = ">iiQQII" if wide else ">iiIII"
    entry = struct.calcsize(fmt)
    table = src.read_at(8, entry * count, "fat architecture table")
    slices = sorted(struct.unpack_from(fmt, table, i * entry)[2:4] for i in range(count))
    # Sorted by offset so a zip member (which can only seek forward cheaply) is read in one pass.
    return [_thin(src.slice(off, size), name, file_type) for off, size in slices]


def _thin(src: Source, name: str | None, file_type: FileType) -> DebugFileInfo:
    magic = src.read_at(0, 4, "magic")
    if magic not in THIN:
        raise src.error("slice does not start with a Mach-O header")
    wide, e = THIN[magic]
    cputype, cpusubtype, _, ncmds, sizeofcmds, _ = src.unpack(f"{e}iiIIII", 4, "Mach-O header")
    cmds = src.read_at(32 if wide else 28, sizeofcmds, "load commands")

    uuid = None
    os_name = "macos"
    features = set()
    pos = 0
    for _ in range(ncmds):
        if pos + 8 > len(cmds):
            raise src.error("load commands run past sizeofcmds")
        cmd, cmdsize = struct.unpack_from(f"{e}II", cmds, pos)
        if cmdsize < 8 or pos + cmdsize > len(cmds):
            raise src.error(f"load command {cmd:#x} has a bad size {cmdsize}")
        body = cmds[pos + 8 : pos + cmdsize]
        if cmd == _LC_UUID and len(body) >= 16:
            uuid = body[:16].hex()
        elif cmd == _LC_SYMTAB and len(body) >= 8 and struct.unpack_from(f"{e}I", body, 4)[0]:
            features.add("symtab")
        elif cmd in (_LC_SEGMENT, _LC_SEGMENT_64):
            features |= _segment_features(src, e, cmd == _LC_SEGMENT_64, body)
        elif cmd == _LC_BUILD_VERSION and len(body) >= 4:
            os_name = _PLATFORM.get(struct.unpack_from(f"{e}I", body)[0], os_name)
        elif cmd in _LC_VERSION_MIN:
            os_name = _LC_VERSION_MIN[cmd]
        pos += cmdsize

    return DebugFileInfo(
        file_type=file_type,
        debug_id=make_debug_id(uuid, 0) if uuid else None,
        code_id=uuid,
        debug_file=name,
        code_file=name,
        arch=_arch(cputype, cpusubtype),
        os=os_name,
        features=frozenset(features),
    )


def _segment_features(src: Source, e: str, wide: bool, body: bytes) -> set[str]:
    seg_fmt, sect_fmt = (f"{e}16sQQQQiiII", f"{e}16s16sQQI") if wide else (f"{e}16sIIIIiiII", f"{e}16s16sIII")
    seg_size, sect_size = (64, 80) if wide else (48, 68)
    if len(body) < seg_size:
        raise src.error("segment load command is too short")
    seg = struct.unpack_from(seg_fmt, body)
    fileoff, filesize, nsects = seg[3], seg[4], seg[7]
    if filesize and fileoff + filesize > src.size:
        raise src.error(f"segment {_cstr(seg[0])} ends past the end of the file")
    found = set()
    for i in range(min(nsects, (len(body) - seg_size) // sect_size)):
        sect = struct.unpack_from(sect_fmt, body, seg_size + i * sect_size)
        size, offset = sect[3], sect[4]
        # A dSYM keeps the __TEXT/__DATA section headers of its binary with no data (offset 0).
        if not size or not offset:
            continue
        key = (_cstr(sect[1]), _cstr(sect[0]))
        if key in _DEBUG:
            found.add("debug")
        elif key in _UNWIND:
            found.add("unwind")
    return found


def _cstr(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("ascii", "replace")


def _arch(cputype: int, subtype: int) -> str | None:
    sub = subtype & 0x00FFFFFF
    if cputype == 7:
        return "x86"
    if cputype == 7 | _ABI64:
        return "x86_64h" if sub == 8 else "x86_64"
    if cputype == 12:
        return _ARM_SUBTYPES.get(sub, "arm")
    if cputype == 12 | _ABI64:
        return "arm64e" if sub == 2 else "arm64"
    if cputype == 12 | 0x02000000:
        return "arm64_32"
    if cputype == 18:
        return "ppc"
    if cputype == 18 | _ABI64:
        return "ppc64"
    return None
