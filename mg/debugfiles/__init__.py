"""Debug files: tell them by content and read the identifiers symbol servers key by.

Formats: Breakpad ``.sym``, PDB (MSF 7.00), PE / PE32+, ELF, Mach-O (thin and universal) and
zipped ``.dSYM`` bundles. Pure standard library, no heavy import at start-up::

    >>> info = detect("build/game.pdb")
    >>> info.debug_id, info.debug_id_uuid
    ('3249D99D0C4049318610F4E4FB0B69361', '3249d99d-0c40-4931-8610-f4e4fb0b6936-1')
"""

from mg.debugfiles.detect import detect, detect_all, is_minidump
from mg.debugfiles.ids import breakpad_sym_name, debug_id_to_uuid, normalize_debug_id
from mg.debugfiles.info import DebugFileError, DebugFileInfo

__all__ = [
    "DebugFileError",
    "DebugFileInfo",
    "breakpad_sym_name",
    "debug_id_to_uuid",
    "detect",
    "detect_all",
    "is_minidump",
    "normalize_debug_id",
]
