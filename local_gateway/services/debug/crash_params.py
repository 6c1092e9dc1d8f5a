"""Validation of what a crash submission and the triage queries send.

Every message names the field at fault. User-supplied text (metadata, tags, inline frames) is
scrubbed of PII here, before anything is stored (see :mod:`.crash.scrub`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from local_gateway.services.debug.crash import scrub_metadata, scrub_path, scrub_text
from local_gateway.services.debug.symbol_params import parse_platform
from mg.errors import InvalidRequestError

STATUSES = ("new", "investigating", "resolved", "wont_fix")
PROCESSING = ("processing", "processed", "failed")
MAX_FRAMES = 256
MAX_TAGS = 64
MAX_TAG_TEXT = 500
_LIMITS = {"game_id": 100, "version": 64, "engine": 32, "build": 100}
_ID_TEXT = re.compile(r"[^\x00-\x1f\x7f]+")
# Breakpad / Crashpad form fields that are not annotations.
BREAKPAD_FIELDS = {"prod": "game_id", "ver": "version", "guid": "guid", "ptime": "ptime"}


@dataclass(frozen=True)
class CrashMeta:
    game_id: str | None = None
    platform: str | None = None
    version: str | None = None
    engine: str | None = None
    build: str | None = None
    tags: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Frame:
    function: str | None
    module: str | None = None
    file: str | None = None
    line: int | None = None

    def key_text(self) -> str:
        """The ``module!function`` form the fingerprint of an inline trace hashes."""
        name = self.function or "??"
        return f"{self.module}!{name}" if self.module else name

    def to_dict(self, index: int) -> dict[str, Any]:
        return {
            "frame": index,
            "module": self.module,
            "function": self.function,
            "file": self.file,
            "line": self.line,
        }


def _text(value: Any, name: str, limit: int) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidRequestError(f"{name} must be a string.")
    text: str = value.strip()
    if len(text) > limit or not _ID_TEXT.fullmatch(text):
        raise InvalidRequestError(f"{name} must be 1 to {limit} printable characters.")
    return text


def parse_meta(fields: Mapping[str, Any], tags: Any = None) -> CrashMeta:
    values = {name: _text(fields.get(name), name, limit) for name, limit in _LIMITS.items()}
    engine = values["engine"]
    return CrashMeta(
        game_id=values["game_id"],
        platform=parse_platform(_text(fields.get("platform"), "platform", 40)),
        version=values["version"],
        engine=engine.lower() if engine else None,
        build=values["build"],
        tags=parse_tags(tags),
    )


def parse_tags(tags: Any) -> dict[str, Any]:
    if tags is None:
        return {}
    if not isinstance(tags, dict):
        raise InvalidRequestError('tags must be an object of short strings, e.g. {"level": "3"}.')
    if len(tags) > MAX_TAGS:
        raise InvalidRequestError(f"tags may have at most {MAX_TAGS} entries.")
    out: dict[str, Any] = {}
    for key, value in tags.items():
        if not isinstance(key, str) or not 1 <= len(key) <= 64:
            raise InvalidRequestError("tag names must be strings of 1 to 64 characters.")
        if value is not None and not isinstance(value, str | int | float | bool):
            raise InvalidRequestError(f"tag {key!r} must be a string, number or boolean.")
        if isinstance(value, str) and len(value) > MAX_TAG_TEXT:
            raise InvalidRequestError(f"tag {key!r} is longer than {MAX_TAG_TEXT} characters.")
        out[key] = value
    return scrub_metadata(out)


def parse_frames(raw: Any) -> list[Frame]:
    """``stack_trace``: frames innermost first, as strings (``module!function``) or objects
    ``{"function", "module", "file", "line"}``."""
    if not isinstance(raw, list) or not raw:
        raise InvalidRequestError(
            "stack_trace must be a non-empty array of frames, innermost first.",
            remediation='e.g. ["game.exe!Physics::Step", "game.exe!GameEngine::Update"] or '
            '[{"function": "Physics::Step", "module": "game.exe", "file": "physics.cpp", "line": 88}]',
        )
    if len(raw) > MAX_FRAMES:
        raise InvalidRequestError(f"stack_trace may have at most {MAX_FRAMES} frames.")
    frames = []
    for i, item in enumerate(raw):
        if isinstance(item, str):
            text = item.strip()
            if not text or len(text) > 1000:
                raise InvalidRequestError(f"stack_trace[{i}] must be 1 to 1000 characters.")
            head, sep, tail = text.partition("!")
            frames.append(Frame(tail, head) if sep and head else Frame(text))
        elif isinstance(item, dict):
            function: str | None = _text(item.get("function"), f"stack_trace[{i}].function", 1000)
            module: str | None = _text(item.get("module"), f"stack_trace[{i}].module", 255)
            file = _text(item.get("file"), f"stack_trace[{i}].file", 1000)
            line = item.get("line")
            if line is not None and (not isinstance(line, int) or isinstance(line, bool) or line < 0):
                raise InvalidRequestError(f"stack_trace[{i}].line must be a non-negative integer.")
            if function is None and module is None:
                raise InvalidRequestError(f"stack_trace[{i}] needs a function or a module.")
            frames.append(Frame(function, module, file, line))
        else:
            raise InvalidRequestError(f"stack_trace[{i}] must be a string or an object.")
    # Module and file paths may carry a user's home directory; function names do not.
    return [Frame(scrub_text(f.function), scrub_path(f.module), scrub_path(f.file), f.line) for f in frames]


def parse_status(value: Any) -> str:
    if value not in STATUSES:
        raise InvalidRequestError(
            f"status must be one of: {', '.join(STATUSES)}.",
            remediation="e.g. mg crashes status crash_… resolved",
        )
    return str(value)


def parse_time(value: str | None, name: str) -> datetime | None:
    """An ISO 8601 time or date (UTC when no zone is given)."""
    if value is None or value == "":
        return None
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRequestError(
            f"{name} must be an ISO 8601 date or time, e.g. 2026-11-01 or 2026-11-01T12:00:00Z."
        ) from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def parse_limit(value: str | None, default: int, maximum: int) -> int:
    if value is None or value == "":
        return default
    try:
        limit = int(value)
    except ValueError:
        limit = 0
    if not 1 <= limit <= maximum:
        raise InvalidRequestError(f"limit must be a whole number from 1 to {maximum}.")
    return limit


def parse_filters(query: Mapping[str, str]) -> dict[str, str]:
    """The list filters: game_id, status, platform, version, fingerprint, processing."""
    filters: dict[str, str] = {}
    for name in ("game_id", "version", "fingerprint"):
        if value := _text(query.get(name), name, 100):
            filters[name] = value
    if status := query.get("status"):
        filters["status"] = parse_status(status)
    if processing := query.get("processing"):
        if processing not in PROCESSING:
            raise InvalidRequestError(f"processing must be one of: {', '.join(PROCESSING)}.")
        filters["processing"] = processing
    if platform := parse_platform(query.get("platform") or None):
        filters["platform"] = platform
    return filters


def split_breakpad_form(form: Mapping[str, str]) -> tuple[dict[str, str | None], dict[str, Any]]:
    """A Breakpad / Crashpad upload's fields → (metadata, annotations as tags)."""
    meta: dict[str, str | None] = {}
    tags: dict[str, Any] = {}
    for key, value in form.items():
        if key in _LIMITS or key == "platform":
            meta[key] = value
        elif key in ("prod", "ver"):
            meta.setdefault(BREAKPAD_FIELDS[key], value)
        elif len(tags) < MAX_TAGS:
            tags[key[:64]] = value[:MAX_TAG_TEXT]
    return meta, tags
