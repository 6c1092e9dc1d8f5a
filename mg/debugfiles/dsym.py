"""Zipped ``.dSYM`` bundles: read the Mach-O DWARF companions in place, refusing zip bombs."""

from __future__ import annotations

import re
import struct
from typing import TYPE_CHECKING

from mg.debugfiles import macho
from mg.debugfiles.info import DebugFileError, DebugFileInfo
from mg.debugfiles.source import Source

if TYPE_CHECKING:
    import zipfile

MAGIC = b"PK\x03\x04"

MAX_ENTRIES = 10_000
MAX_ENTRY_SIZE = 1 << 30
MAX_RATIO = 200

_DWARF = re.compile(r"(?:^|/)[^/]+\.dSYM/Contents/Resources/DWARF/([^/]+)$", re.IGNORECASE)
_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_EOCD_SEARCH = 22 + 0xFFFF  # the record plus the longest possible archive comment


def read(src: Source, name: str | None = None) -> list[DebugFileInfo]:
    """Every DWARF file of every ``.dSYM`` in the zip; empty when the zip holds none.

    Each object is named after its member (``X.dSYM/.../DWARF/<name>``), not after the zip.
    """
    import zipfile  # only zips pay for these; the CLI imports this package at start-up
    import zlib

    _check_entry_count(src)
    try:
        archive = zipfile.ZipFile(src.fileobj)
    except zipfile.BadZipFile as exc:
        raise DebugFileError(f"corrupt zip file: {exc}") from None
    with archive:
        members = [(info, m.group(1)) for info in archive.infolist() if (m := _DWARF.search(info.filename))]
        for info, _ in members:
            _check_member(info)
        out: list[DebugFileInfo] = []
        for info, member_name in members:
            try:
                with archive.open(info) as member:
                    inner = Source(member, info.file_size, "Mach-O")
                    out += macho.read(inner, member_name, file_type="dsym")
            except DebugFileError as exc:
                raise DebugFileError(f"{info.filename} in the zip: {exc}") from None
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
                # Unsupported compression, encryption, or a damaged member.
                raise DebugFileError(f"cannot read {info.filename} in the zip: {exc}") from None
        return out


def _check_member(info: zipfile.ZipInfo) -> None:
    """Refuse a member before decompressing it if its declared sizes look like a zip bomb.

    zipfile never yields more than the declared ``file_size``, so checking declared sizes bounds
    what reading can cost even when the header lies.
    """
    if info.file_size > MAX_ENTRY_SIZE:
        raise DebugFileError(
            f"zip entry {info.filename} is {info.file_size} bytes uncompressed, over the 1 GiB limit"
        )
    if info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise DebugFileError(
            f"zip entry {info.filename} expands {info.file_size // max(info.compress_size, 1)}x, "
            f"over the {MAX_RATIO}x limit (zip bomb?)"
        )


def _check_entry_count(src: Source) -> None:
    """Read the entry count from the end-of-central-directory record before zipfile does.

    zipfile builds an object per entry up front, so a zip of millions of tiny entries would
    cost memory before any check on ``infolist()`` could run.
    """
    tail_len = min(src.size, _EOCD_SEARCH)
    tail = src.read_at(src.size - tail_len, tail_len, "zip end record")
    at = tail.rfind(_EOCD)
    if at < 0 or at + 22 > len(tail):
        raise DebugFileError("corrupt zip file: no end-of-central-directory record")
    (count,) = struct.unpack_from("<H", tail, at + 10)
    locator = at - 20
    if count == 0xFFFF and locator >= 0 and tail[locator : locator + 4] == _EOCD64_LOCATOR:
        (eocd64,) = struct.unpack_from("<Q", tail, locator + 8)
        (count,) = src.unpack("<Q", eocd64 + 32, "zip64 end record")
    if count > MAX_ENTRIES:
        raise DebugFileError(f"zip has {count} entries, over the {MAX_ENTRIES} limit")
