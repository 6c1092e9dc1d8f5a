"""The result type of detection and the one error it raises."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from mg.debugfiles.ids import debug_id_to_uuid

FileType = Literal["sym", "pdb", "pe", "elf", "macho", "dsym"]


class DebugFileError(ValueError):
    """A file claims to be a debug file (by its magic) but cannot be read as one.

    The message is one line saying what is wrong, fit to show a user as is.
    """


@dataclass(frozen=True)
class DebugFileInfo:
    """Identifiers of one object in a debug file.

    ``size`` and ``sha256`` always describe the whole input file (the zip for a ``dsym``, the
    universal binary for a fat Mach-O), so every object of one file shares them.

    ``features`` is a subset of ``symtab`` (a symbol table / PUBLIC records), ``debug`` (DWARF,
    PDB module info, FUNC records), ``unwind`` (CFI, FPO, STACK records) and ``sources``
    (embedded sources; none of the formats read here can carry them, so it is never set yet).
    """

    file_type: FileType
    debug_id: str | None
    code_id: str | None
    debug_file: str | None
    code_file: str | None
    arch: str | None
    os: str | None
    features: frozenset[str] = field(default_factory=frozenset)
    size: int = 0
    sha256: str = ""

    @property
    def debug_id_uuid(self) -> str | None:
        """The debug id as ``guid-age`` (lower case); age 0 has no suffix."""
        return debug_id_to_uuid(self.debug_id) if self.debug_id else None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, including ``debug_id_uuid`` and ``features`` as a sorted list."""
        return {
            "file_type": self.file_type,
            "debug_id": self.debug_id,
            "debug_id_uuid": self.debug_id_uuid,
            "code_id": self.code_id,
            "debug_file": self.debug_file,
            "code_file": self.code_file,
            "arch": self.arch,
            "os": self.os,
            "features": sorted(self.features),
            "size": self.size,
            "sha256": self.sha256,
        }
