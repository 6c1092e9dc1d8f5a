"""Validation of what a symbol upload declares: names, debug id, platform, file type.

Every message names the field at fault. Names are checked to be plain file names (no
separators, no control characters, bounded length) although none of them ever becomes a path:
a symbol server keys files by base name, so anything else is a mistake worth reporting.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from mg.debugfiles import normalize_debug_id
from mg.errors import InvalidRequestError

FILE_TYPES = ("sym", "pdb", "pe", "elf", "macho", "dsym")
DESKTOP_MOBILE = ("windows", "linux", "macos", "android", "ios")
CONSOLES = ("ps4", "ps5", "xbox-one", "xbox-series", "switch", "switch2")
PLATFORMS = DESKTOP_MOBILE + CONSOLES
_PLATFORM_ALIASES = {
    "win": "windows",
    "win32": "windows",
    "win64": "windows",
    "mac": "macos",
    "osx": "macos",
    "darwin": "macos",
    "playstation4": "ps4",
    "playstation5": "ps5",
    "xboxone": "xbox-one",
    "xbox_one": "xbox-one",
    "xboxseries": "xbox-series",
    "xbox_series": "xbox-series",
    "nintendo-switch": "switch",
    "nx": "switch",
}
MAX_NAME = 255
_BAD_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")
_TRUE = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class UploadParams:
    """What the uploader declared; every field may be left for the file itself to tell."""

    module_name: str | None = None
    debug_id: str | None = None  # Breakpad form
    platform: str | None = None
    file_type: str | None = None
    file_name: str | None = None
    overwrite: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> UploadParams:
        return cls(
            module_name=data.get("module_name"),
            debug_id=data.get("debug_id"),
            platform=data.get("platform"),
            file_type=data.get("file_type"),
            file_name=data.get("file_name"),
            overwrite=bool(data.get("overwrite")),
        )


def parse_upload_params(fields: Mapping[str, Any]) -> UploadParams:
    """Validate the declared fields of an upload or presign request (strings or None)."""
    for name, value in fields.items():
        if value is not None and not isinstance(value, (str, bool)):
            raise InvalidRequestError(f"{name} must be a string.")
    return UploadParams(
        module_name=check_name(_text(fields.get("module_name")), "module_name"),
        debug_id=parse_debug_id(_text(fields.get("debug_id"))),
        platform=parse_platform(_text(fields.get("platform"))),
        file_type=parse_file_type(_text(fields.get("file_type"))),
        file_name=clean_file_name(_text(fields.get("file_name"))),
        overwrite=parse_bool(fields.get("overwrite")),
    )


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    value = value.strip()
    return value or None


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in _TRUE


def check_name(value: str | None, field: str) -> str | None:
    """A plain file name, or a 400 that says why it is not one."""
    if value is None:
        return None
    if len(value) > MAX_NAME:
        raise InvalidRequestError(f"{field} is {len(value)} characters long; the limit is {MAX_NAME}.")
    if _BAD_NAME.search(value) or value in (".", ".."):
        raise InvalidRequestError(
            f"{field} must be a file name such as 'game.pdb', not a path: {value[:80]!r}.",
            remediation="Send the base name of the module (symbol servers key files by base name).",
        )
    return value


def clean_file_name(value: str | None) -> str | None:
    """The base name of a client's file name; None when nothing usable is left (it is only a label)."""
    if value is None:
        return None
    base = re.split(r"[\\/]", value)[-1].strip()
    if not base or base in (".", "..") or _BAD_NAME.search(base):
        return None
    return base[:MAX_NAME]


def parse_debug_id(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return normalize_debug_id(value)
    except ValueError:
        raise InvalidRequestError(
            f"debug_id {value[:80]!r} is not a debug id.",
            remediation=(
                "Send 32 hex digits of GUID followed by the age in hex (3249D99D0C4049318610F4E4FB0B69361) "
                "or the UUID form (3249d99d-0c40-4931-8610-f4e4fb0b6936-1), or leave debug_id out."
            ),
        ) from None


def parse_platform(value: str | None) -> str | None:
    if value is None:
        return None
    key = value.lower()
    key = _PLATFORM_ALIASES.get(key, key)
    if key not in PLATFORMS:
        raise InvalidRequestError(
            f"platform {value[:40]!r} is not known.",
            remediation=f"Use one of: {', '.join(PLATFORMS)}; or leave it out to take it from the file.",
        )
    return key


def platform_from_os(os_name: str | None) -> str:
    """The platform a file's own OS field implies (Breakpad 'mac' → macos, ELF → linux)."""
    key = (os_name or "").lower()
    key = _PLATFORM_ALIASES.get(key, key)
    return key if key in PLATFORMS else (key[:32] if re.fullmatch(r"[a-z0-9_-]{1,32}", key) else "unknown")


def parse_file_type(value: str | None) -> str | None:
    if value is None:
        return None
    key = value.lower()
    if key == "breakpad":
        key = "sym"
    if key not in FILE_TYPES:
        raise InvalidRequestError(
            f"file_type {value[:40]!r} is not known.",
            remediation=f"Use one of: {', '.join(FILE_TYPES)}; or leave it out to detect it.",
        )
    return key
