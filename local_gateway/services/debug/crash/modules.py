"""The module list: where each binary was loaded and the identifiers symbols are keyed by.

CodeView records give the debug id (see ``tests/fixtures/debug/README.md``, "Identifier
rules"): ``RSDS`` (PDB 7.0; Breakpad's macOS writer stores the Mach-O UUID there, age 0),
``NB10`` (PDB 2.0), and ``BpEL`` (Breakpad's and Crashpad's ELF build id, ``LEpB`` on disk).
"""

from __future__ import annotations

import bisect
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from local_gateway.services.debug.crash.binary import Bytes, count_checked
from local_gateway.services.debug.crash.errors import MinidumpError
from mg.debugfiles.ids import base_name, guid_from_le_bytes, make_debug_id

MAX_MODULES = 16384
MAX_CODEVIEW = 16 << 10
_MODULE = struct.Struct("<QIIII13I2I2I16x")
assert _MODULE.size == 108
_RSDS, _NB10, _ELF = 0x53445352, 0x3031424E, 0x4270454C
_VS_FFI_SIGNATURE = 0xFEEF04BD


@dataclass(frozen=True)
class Module:
    """One loaded binary. ``debug_id`` is the Breakpad form (``GUID`` + age, upper case)."""

    base: int
    size: int
    code_file: str
    code_id: str | None
    debug_file: str | None
    debug_id: str | None
    version: str | None

    @property
    def end(self) -> int:
        return self.base + self.size

    @property
    def name(self) -> str:
        """The file name the stack shows (``test_app.exe``, ``libc.so.6``)."""
        return base_name(self.code_file) or self.code_file

    def contains(self, address: int) -> bool:
        return self.base <= address < self.end


class ModuleList:
    """Modules by address: ``at(address)`` in O(log n)."""

    def __init__(self, modules: list[Module]) -> None:
        self.modules = modules
        self._sorted = sorted((m for m in modules if m.size), key=lambda m: m.base)
        self._bases = [m.base for m in self._sorted]

    def __iter__(self) -> Iterator[Module]:
        return iter(self.modules)

    def __len__(self) -> int:
        return len(self.modules)

    def at(self, address: int) -> Module | None:
        i = bisect.bisect_right(self._bases, address) - 1
        if i >= 0 and self._sorted[i].contains(address):
            return self._sorted[i]
        return None


def read_module_list(data: Bytes, rva: int, size: int, os_family: str) -> ModuleList:
    count = data.u32(rva, "module list count")
    start = rva + 4
    # Breakpad's macOS writer pads the 4-byte count to 8 bytes.
    if size == 8 + count * _MODULE.size:
        start += 4
    count_checked(count, _MODULE.size, size - (start - rva), MAX_MODULES, "module list")
    modules = []
    for i in range(count):
        modules.append(_module(data, start + i * _MODULE.size, i, os_family))
    return ModuleList(modules)


def _module(data: Bytes, offset: int, index: int, os_family: str) -> Module:
    what = f"module {index}"
    fields = data.unpack(_MODULE, offset, what)
    base, size, _checksum, timestamp, name_rva = fields[:5]
    ffi = fields[5:18]
    cv_size, cv_rva = fields[18], fields[19]
    if base + size > 1 << 64:
        raise MinidumpError(f"{what} at {base:#x} claims a size of {size:#x} past the address space")
    code_file = data.utf16_string(name_rva, f"{what} name")
    debug_file = debug_id = None
    code_id: str | None = None
    if cv_size:
        debug_file, debug_id, code_id = _codeview(data, cv_rva, cv_size, what)
    if code_id is None and os_family == "windows" and (timestamp or size):
        # PE code id: TimeDateStamp (%08X) + SizeOfImage (%x), the symbol-server key.
        code_id = f"{timestamp:08X}{size:x}"
    if os_family in ("macos", "ios") and code_id is None and debug_id is not None:
        # A Mach-O code id is its UUID, which the RSDS record carries as the GUID.
        code_id = debug_id[:32].lower()
    if debug_id is not None:
        # Symbol servers key by base name; the build machine's full path (often a user's home
        # directory) is not needed to find symbols. Outside Windows it is the binary's name.
        debug_file = base_name(debug_file if debug_file and os_family == "windows" else code_file)
    version = None
    if ffi[0] == _VS_FFI_SIGNATURE and (ffi[2] or ffi[3]):
        ms, ls = ffi[2], ffi[3]
        version = f"{ms >> 16}.{ms & 0xFFFF}.{ls >> 16}.{ls & 0xFFFF}"
    return Module(base, size, code_file, code_id, debug_file, debug_id, version)


def _codeview(data: Bytes, rva: int, size: int, what: str) -> tuple[str | None, str | None, str | None]:
    """(debug_file, debug_id, code_id) from a CodeView record; unknown kinds give Nones."""
    if size < 4 or size > MAX_CODEVIEW:
        raise MinidumpError(f"{what} has a CodeView record of implausible size {size}")
    raw = data.read(rva, size, f"{what} CodeView record")
    signature = int.from_bytes(raw[:4], "little")
    if signature == _RSDS and size >= 24:
        guid = guid_from_le_bytes(raw[4:20])
        age = int.from_bytes(raw[20:24], "little")
        name = _cstr(raw[24:])
        return (name or None), make_debug_id(guid, age), None
    if signature == _NB10 and size >= 16:
        stamp = int.from_bytes(raw[8:12], "little")
        age = int.from_bytes(raw[12:16], "little")
        return (_cstr(raw[16:]) or None), f"{stamp:08X}{age:X}", None
    if signature == _ELF:
        build_id = raw[4:]
        if not build_id:
            return None, None, None
        # The first 16 bytes of the build id (zero-padded) as a little-endian GUID, age 0.
        guid = guid_from_le_bytes(build_id[:16].ljust(16, b"\0"))
        return None, make_debug_id(guid, 0), build_id.hex()
    return None, None, None


def _cstr(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", errors="replace")
