"""Debug-id forms: the Breakpad/symsrv key (``GUID`` + age, upper-case hex) and ``guid-age``."""

from __future__ import annotations

import re

_BREAKPAD = re.compile(r"[0-9a-fA-F]{32,40}")
_UUID = re.compile(
    r"([0-9a-fA-F]{8})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{12})"
    r"(?:-([0-9a-fA-F]{1,8}))?"
)


def guid_from_le_bytes(raw: bytes) -> str:
    """Format 16 bytes of a Windows GUID (first three fields little-endian) as 32 upper-case hex."""
    if len(raw) != 16:
        raise ValueError(f"a GUID is 16 bytes, got {len(raw)}")
    swapped = raw[3::-1] + raw[5:3:-1] + raw[7:5:-1] + raw[8:]
    return swapped.hex().upper()


def make_debug_id(guid_hex: str, age: int) -> str:
    """Join a 32-hex GUID and an age into the Breakpad form."""
    return f"{guid_hex.upper()}{age:X}"


def normalize_debug_id(text: str) -> str:
    """Return the Breakpad form of a debug id (``3249D99D0C4049318610F4E4FB0B69361``).

    Accepts, in any case and with surrounding whitespace:

    * the Breakpad form: 32 hex digits of GUID followed by 1-8 hex digits of age;
    * a plain 32-hex GUID (age 0);
    * the UUID form ``3249d99d-0c40-4931-8610-f4e4fb0b6936`` optionally followed by ``-age``.

    The age is re-rendered without leading zeros, so equal ids give equal keys.
    Raises ValueError for anything else.
    """
    if not isinstance(text, str):
        raise ValueError(f"a debug id is a string, got {type(text).__name__}")
    value = text.strip()
    if _BREAKPAD.fullmatch(value):
        guid, age = value[:32], value[32:] or "0"
    elif m := _UUID.fullmatch(value):
        guid, age = "".join(m.groups()[:5]), m.group(6) or "0"
    else:
        raise ValueError(
            f"not a debug id: {text!r} (expected 32 hex digits plus the age in hex, "
            "or a GUID with dashes optionally followed by -age)"
        )
    return make_debug_id(guid, int(age, 16))


def debug_id_to_uuid(debug_id: str) -> str:
    """Render any accepted debug id as lower-case ``guid-age``; age 0 gets no suffix.

    Dropping ``-0`` matches how ELF and Mach-O ids (always age 0) are usually written.
    """
    key = normalize_debug_id(debug_id)
    g, age = key[:32].lower(), int(key[32:], 16)
    text = f"{g[:8]}-{g[8:12]}-{g[12:16]}-{g[16:20]}-{g[20:]}"
    return f"{text}-{age:x}" if age else text


def breakpad_sym_name(debug_file: str) -> str:
    """Name of the Breakpad ``.sym`` file for a debug file: ``foo.pdb`` → ``foo.sym``, else append.

    Only the last path component counts (either separator), as symbol servers key by base name.
    """
    base = base_name(debug_file)
    if base.lower().endswith(".pdb"):
        return base[:-4] + ".sym"
    return base + ".sym"


def base_name(path: str) -> str:
    """Last component of a Windows or POSIX path (symbol servers key files by base name)."""
    return re.split(r"[\\/]", path)[-1]
