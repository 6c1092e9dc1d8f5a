"""Bounds-checked little-endian reads from the bytes of one minidump.

Every read names what it was reading, so a truncated or hostile dump yields a
:class:`MinidumpError` such as "thread list entry 3 at 0x1f0 (48 bytes) ends past the end of
the dump (276 bytes)" instead of a short buffer, an IndexError or a huge allocation.
"""

from __future__ import annotations

import struct
from typing import Any

from local_gateway.services.debug.crash.errors import MinidumpError

_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")


class Bytes:
    """The dump's bytes, read only through checked offsets (zero-copy via memoryview)."""

    __slots__ = ("_view", "size")

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        self._view = memoryview(data).cast("B")
        self.size = len(self._view)

    def check(self, offset: int, length: int, what: str) -> None:
        if offset < 0 or length < 0 or offset + length > self.size:
            raise MinidumpError(
                f"{what} at {offset:#x} ({length} bytes) ends past the end of the dump ({self.size} bytes)"
            )

    def read(self, offset: int, length: int, what: str) -> bytes:
        self.check(offset, length, what)
        return bytes(self._view[offset : offset + length])

    def view(self, offset: int, length: int, what: str) -> memoryview:
        """A zero-copy slice (for memory regions, which may be megabytes)."""
        self.check(offset, length, what)
        return self._view[offset : offset + length]

    def unpack(self, fmt: struct.Struct, offset: int, what: str) -> tuple[Any, ...]:
        self.check(offset, fmt.size, what)
        return fmt.unpack_from(self._view, offset)

    def u16(self, offset: int, what: str) -> int:
        return int(self.unpack(_U16, offset, what)[0])

    def u32(self, offset: int, what: str) -> int:
        return int(self.unpack(_U32, offset, what)[0])

    def u64(self, offset: int, what: str) -> int:
        return int(self.unpack(_U64, offset, what)[0])

    def utf16_string(self, rva: int, what: str, limit: int = 1 << 16) -> str:
        """A MINIDUMP_STRING: a u32 byte length, then UTF-16LE; bad code units become U+FFFD.

        ``limit`` (in bytes) bounds what one string may claim: 64 KiB holds Windows' longest
        path (32,767 UTF-16 units); a larger length is corruption.
        """
        length = self.u32(rva, what)
        if length > limit or length % 2:
            raise MinidumpError(f"{what} at {rva:#x} claims an implausible length of {length} bytes")
        return self.read(rva + 4, length, what).decode("utf-16-le", errors="replace")

    def utf8_string(self, rva: int, what: str, limit: int = 64 << 10) -> str:
        """A Crashpad MinidumpUTF8String: a u32 byte length, then UTF-8 (NUL-terminated)."""
        length = self.u32(rva, what)
        if length > limit:
            raise MinidumpError(f"{what} at {rva:#x} claims an implausible length of {length} bytes")
        return self.read(rva + 4, length, what).decode("utf-8", errors="replace")


def count_checked(count: int, entry_size: int, available: int, limit: int, what: str) -> int:
    """Validate a record count against the room it needs and a hard ceiling."""
    if count > limit:
        raise MinidumpError(f"{what} claims {count} entries (more than the {limit} accepted)")
    if count * entry_size > available:
        raise MinidumpError(
            f"{what} claims {count} entries of {entry_size} bytes but its stream holds {available} bytes"
        )
    return count
