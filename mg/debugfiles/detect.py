"""Tell a debug file by its content and read its identifiers."""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from dataclasses import replace
from typing import BinaryIO

from mg.debugfiles import breakpad, dsym, elf, macho, pdb, pe
from mg.debugfiles.ids import base_name
from mg.debugfiles.info import DebugFileError, DebugFileInfo
from mg.debugfiles.source import Source, sha256_stream

MINIDUMP_MAGIC = b"MDMP"
_HEADER_BYTES = 64

_Reader = Callable[[Source, str | None], list[DebugFileInfo]]
_BY_MAGIC = (("Breakpad symbol", breakpad), ("PDB", pdb), ("ELF", elf), ("PE", pe), ("zip", dsym))


def is_minidump(header: bytes) -> bool:
    """Whether the first bytes of a file are a minidump's (a crash report, not a debug file)."""
    return header[:4] == MINIDUMP_MAGIC


def detect(source: str | os.PathLike[str] | BinaryIO, *, name: str | None = None) -> DebugFileInfo | None:
    """Identify a debug file; None when it is not one (judged from its first bytes).

    ``source`` is a path or a seekable binary file object (read from its start; its position is
    restored afterwards). ``name`` is the file name the symbol server should key by, for when the
    path is a temporary file; it defaults to the base name of the path (or of the file object's
    ``name``). For a universal Mach-O or a zip of several dSYMs this is the first object;
    :func:`detect_all` returns every one.

    Raises :class:`DebugFileError` when the magic says debug file but the content is truncated or
    corrupt, or a zip looks like a zip bomb. Errors opening the path (OSError) pass through.
    """
    infos = detect_all(source, name=name)
    return infos[0] if infos else None


def detect_all(source: str | os.PathLike[str] | BinaryIO, *, name: str | None = None) -> list[DebugFileInfo]:
    """Like :func:`detect`, but one info per object (per slice of a universal binary, per dSYM)."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as fileobj:
            return _detect(fileobj, base_name(name or os.fspath(source)))
    if not callable(getattr(source, "seekable", None)) or not source.seekable():
        raise ValueError("detect() needs a path or a seekable binary file object")
    if name is None and isinstance(getattr(source, "name", None), str):
        name = source.name
    name = base_name(name) if name else None
    position = source.tell()
    try:
        return _detect(source, name)
    finally:
        source.seek(position)


def _detect(fileobj: BinaryIO, name: str | None) -> list[DebugFileInfo]:
    size = fileobj.seek(0, os.SEEK_END)
    fileobj.seek(0)
    header = fileobj.read(_HEADER_BYTES)
    if not isinstance(header, bytes):
        raise ValueError("detect() needs a file opened in binary mode")
    found = _classify(header)
    if found is None:
        return []
    kind, reader = found
    try:
        infos = reader(Source(fileobj, size, kind), name)
    except (struct.error, IndexError, OverflowError) as exc:
        # Every read is bounds-checked; this is the net under a header whose fields contradict
        # each other in a way no check anticipated.
        raise DebugFileError(f"corrupt {kind} file: {exc}") from None
    if not infos:
        return []
    scanner = breakpad.RecordScanner() if kind == "Breakpad symbol" else None
    digest, _ = sha256_stream(fileobj, scanner)
    return [
        replace(
            info,
            size=size,
            sha256=digest,
            features=frozenset(scanner.features) if scanner else info.features,
        )
        for info in infos
    ]


def _classify(header: bytes) -> tuple[str, _Reader] | None:
    """The format a header announces, as (name for messages, reader); None for anything else."""
    if header.startswith(pdb.OLD_MAGIC):
        raise DebugFileError("PDB 2.00 (pre-2002 toolchains) is not supported; only MSF 7.00 PDBs are")
    if header[:4] in macho.THIN or macho.is_fat(header):
        return "Mach-O", macho.read
    for kind, module in _BY_MAGIC:
        if header.startswith(module.MAGIC):
            return kind, module.read
    return None
