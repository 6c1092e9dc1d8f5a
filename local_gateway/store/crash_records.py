"""Plain records of crash reports, crash groups and debug sessions (rows stay in the store)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class CrashRecord:
    id: str
    developer_id: str
    source: str
    game_id: str | None
    platform: str | None
    version: str | None
    engine: str | None
    build: str | None
    tags: dict[str, Any]
    status: str
    processing: str
    processing_error: str | None
    fingerprint: str | None
    title: str | None
    crash_reason: str | None
    stack_trace: list[Any] | None
    result: dict[str, Any] | None
    minidump_sha256: str | None
    minidump_size: int | None
    minidump_stored: bool
    duplicate_of: str | None
    regression: bool
    analysis: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    processed_at: datetime | None


@dataclass(frozen=True)
class GroupRecord:
    developer_id: str
    fingerprint: str
    title: str | None
    status: str
    first_seen: datetime
    last_seen: datetime
    latest_crash_id: str
    resolved_version: str | None
    resolved_at: datetime | None
    regressed_at: datetime | None


@dataclass(frozen=True)
class DebugSessionRecord:
    id: str
    developer_id: str
    name: str
    platform: str | None
    engine: str | None
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None
