"""Bounded random access to a seekable binary file, and streamed hashing."""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import IO, Any, BinaryIO

from mg.debugfiles.info import DebugFileError

CHUNK = 1 << 20
# No header structure read here comes near this; a larger request means a corrupt count or size,
# and refusing it keeps memory flat whatever a hostile header claims.
MAX_READ = 64 << 20


class Source:
    """A seekable file (or zip member) of known size, read by absolute offsets.

    Every read is checked against the size first, so a truncated or corrupt file yields a
    :class:`DebugFileError` naming what was being read instead of a short buffer.
    """

    def __init__(self, fileobj: IO[bytes], size: int, kind: str, base: int = 0) -> None:
        self.fileobj = fileobj
        self.size = size
        self.kind = kind
        self.base = base

    def slice(self, offset: int, size: int) -> Source:
        """A view of ``size`` bytes at ``offset`` (one slice of a universal binary)."""
        if offset < 0 or size < 0 or offset + size > self.size:
            raise self.error(f"slice at offset {offset:#x} ({size} bytes) ends past the end")
        return Source(self.fileobj, size, self.kind, self.base + offset)

    def error(self, detail: str) -> DebugFileError:
        return DebugFileError(f"truncated or corrupt {self.kind} file: {detail} ({self.size} bytes)")

    def read_at(self, offset: int, length: int, what: str) -> bytes:
        if length > MAX_READ:
            raise self.error(f"{what} claims an implausible {length} bytes")
        if offset < 0 or length < 0 or offset + length > self.size:
            raise self.error(f"{what} at offset {offset:#x} ({length} bytes) ends past the end of the file")
        self.fileobj.seek(self.base + offset)
        data = self.fileobj.read(length)
        if len(data) != length:
            raise self.error(f"{what} at offset {offset:#x} could not be read in full")
        return data

    def unpack(self, fmt: str, offset: int, what: str) -> tuple[Any, ...]:
        return struct.unpack(fmt, self.read_at(offset, struct.calcsize(fmt), what))


def sha256_stream(fileobj: BinaryIO, observe: Callable[[bytes], None] | None = None) -> tuple[str, int]:
    """Hash a file from its start in 1 MiB chunks; return (hex digest, bytes read).

    ``observe`` sees every chunk too, so a reader that needs a full scan (Breakpad record
    kinds) shares the one pass instead of reading the file twice.
    """
    import hashlib  # deferred: only files that turned out to be debug files get hashed

    digest = hashlib.sha256()
    total = 0
    fileobj.seek(0)
    while chunk := fileobj.read(CHUNK):
        digest.update(chunk)
        total += len(chunk)
        if observe is not None:
            observe(chunk)
    return digest.hexdigest(), total
