"""Microsoft PDB (MSF 7.00): GUID from the PDB info stream, age and machine from the DBI stream."""

from __future__ import annotations

import struct

from mg.debugfiles.ids import guid_from_le_bytes, make_debug_id
from mg.debugfiles.info import DebugFileError, DebugFileInfo
from mg.debugfiles.source import Source

MAGIC = b"Microsoft C/C++ MSF 7.00\r\n\x1aDS\x00\x00\x00"
OLD_MAGIC = b"Microsoft C/C++ program database 2.00\r\n"

_PDB_INFO_STREAM = 1
_DBI_STREAM = 3
_NIL = 0xFFFF
_DBI_HEADER = struct.Struct("<iIIHHHHHHiiiiiIiiHHI")
_MACHINE = {0x14C: "x86", 0x8664: "x86_64", 0xAA64: "arm64", 0x1C0: "arm", 0x1C4: "arm", 0x200: "ia64"}
# Optional debug header slots: 0 is FPO (x86 frame data), 9 is the newer FrameData stream.
_FPO_SLOTS = (0, 9)


class _Msf:
    """The multi-stream file container: maps a stream's bytes onto its blocks."""

    def __init__(self, src: Source) -> None:
        self.src = src
        block_size, _, num_blocks, dir_bytes, _, block_map = src.unpack("<6I", 32, "MSF superblock")
        if block_size not in (512, 1024, 2048, 4096, 8192, 16384, 32768):
            raise src.error(f"MSF block size {block_size} is not a power of two between 512 and 32768")
        if num_blocks * block_size > src.size:
            raise DebugFileError(
                f"truncated PDB file: its header says {num_blocks * block_size} bytes "
                f"but the file has {src.size}"
            )
        self.block_size, self.num_blocks = block_size, num_blocks
        n_dir_blocks = -(-dir_bytes // block_size)
        if n_dir_blocks * 4 > block_size:
            raise src.error(f"stream directory of {dir_bytes} bytes does not fit the MSF block map")
        dir_blocks = self._u32s(self._block(block_map, n_dir_blocks * 4, "stream directory block map"))
        directory = self._gather(dir_blocks, dir_bytes, "stream directory")
        if dir_bytes < 4:
            raise src.error("empty stream directory")
        (count,) = struct.unpack_from("<I", directory)
        if 4 + 4 * count > dir_bytes:
            raise src.error(f"stream directory lists {count} streams but holds only {dir_bytes} bytes")
        sizes = [0 if s == 0xFFFFFFFF else s for s in struct.unpack_from(f"<{count}I", directory, 4)]
        self.streams: list[tuple[int, list[int]]] = []
        pos = 4 + 4 * count
        for size in sizes:
            n = -(-size // block_size)
            if pos + 4 * n > dir_bytes:
                raise src.error("stream directory ends before its block lists")
            self.streams.append((size, list(struct.unpack_from(f"<{n}I", directory, pos))))
            pos += 4 * n

    def _u32s(self, raw: bytes) -> list[int]:
        return list(struct.unpack(f"<{len(raw) // 4}I", raw))

    def _block(self, index: int, length: int, what: str) -> bytes:
        if index >= self.num_blocks:
            raise self.src.error(f"{what} points at block {index} of {self.num_blocks}")
        return self.src.read_at(index * self.block_size, length, what)

    def _gather(self, blocks: list[int], length: int, what: str, start: int = 0) -> bytes:
        """Bytes ``start .. start+length`` of the stream made of ``blocks``."""
        out = bytearray()
        pos = start
        while len(out) < length:
            i, within = divmod(pos, self.block_size)
            if i >= len(blocks):
                raise self.src.error(f"{what} is shorter than its declared size")
            take = min(self.block_size - within, length - len(out))
            out += self._block(blocks[i], within + take, what)[within:]
            pos += take
        return bytes(out)

    def stream_size(self, index: int) -> int:
        return self.streams[index][0] if index < len(self.streams) else 0

    def read(self, index: int, offset: int, length: int, what: str) -> bytes:
        size, blocks = self.streams[index]
        if offset + length > size:
            raise self.src.error(f"{what} lies past the end of stream {index} ({size} bytes)")
        return self._gather(blocks, length, what, offset)


def read(src: Source, name: str | None) -> list[DebugFileInfo]:
    """Read one PDB: the debug id is the info stream's GUID with the DBI stream's age."""
    msf = _Msf(src)
    if msf.stream_size(_PDB_INFO_STREAM) < 28:
        raise src.error("PDB info stream is missing or too old to carry a GUID")
    _, _, info_age = struct.unpack("<III", msf.read(_PDB_INFO_STREAM, 0, 12, "PDB info stream"))
    guid = guid_from_le_bytes(msf.read(_PDB_INFO_STREAM, 12, 16, "PDB info GUID"))

    age, arch, features = info_age, None, frozenset[str]()
    if msf.stream_size(_DBI_STREAM) >= _DBI_HEADER.size:
        dbi = _DBI_HEADER.unpack(msf.read(_DBI_STREAM, 0, _DBI_HEADER.size, "DBI header"))
        if dbi[0] == -1:  # the "new" DBI layout every PDB since VC 7 uses
            # Linkers bump the info-stream age on incremental relinks without rewriting the DBI
            # stream; the DBI age is the one the binary's CodeView record and symbol servers use.
            age = dbi[2]
            arch = _MACHINE.get(dbi[18])
            features = _features(msf, dbi)

    return [
        DebugFileInfo(
            file_type="pdb",
            debug_id=make_debug_id(guid, age),
            code_id=None,
            debug_file=name,
            code_file=None,
            arch=arch,
            os="windows",
            features=features,
        )
    ]


def _features(msf: _Msf, dbi: tuple[int, ...]) -> frozenset[str]:
    sym_record_stream, mod_info_size = dbi[7], dbi[9]
    substreams = (*dbi[9:14], dbi[16])  # module info .. type server map, EC
    found = set()
    if mod_info_size > 0:
        found.add("debug")
    if sym_record_stream != _NIL and msf.stream_size(sym_record_stream) > 0:
        found.add("symtab")
    dbg_header_size = dbi[15]
    if min(substreams) < 0:
        return frozenset(found)
    dbg_offset = _DBI_HEADER.size + sum(substreams)
    slots = min(dbg_header_size // 2, max(_FPO_SLOTS) + 1)
    if slots and dbg_offset + 2 * slots <= msf.stream_size(_DBI_STREAM):
        raw = msf.read(_DBI_STREAM, dbg_offset, 2 * slots, "DBI optional debug header")
        streams = struct.unpack(f"<{slots}H", raw)
        if any(s < slots and streams[s] != _NIL and msf.stream_size(streams[s]) > 0 for s in _FPO_SLOTS):
            found.add("unwind")
    return frozenset(found)
