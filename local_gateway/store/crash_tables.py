"""Tables of crash reports, their groups, and debug sessions; migration ``0011_crashes``.

A crash row is one occurrence. Its group (``crash_groups``, one row per developer and
fingerprint) carries what triage decides for the fingerprint as a whole: the status a PATCH
set last, the version it was resolved in (so a recurrence in a newer version is a regression),
and its newest crash. ``crash_group_games`` keeps the running count, first/last seen, platforms
and versions per fingerprint and game, so all-time trends read a row per group, not a scan.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Text
from sqlmodel import Field, SQLModel


class CrashReport(SQLModel, table=True):
    __tablename__ = "crash_reports"
    # The lists page on (developer, created_at, id) and its filtered variants. The aggregates
    # (trends, stats, dedup savings) each read only a covering index, never the rows, whose
    # processed results are large: see store/crash_stats.py and bench/bench_crashes.py.
    __table_args__ = (
        Index("ix_crash_reports_dev_time", "developer_id", "created_at", "id"),
        Index("ix_crash_reports_dev_status_time", "developer_id", "status", "created_at"),
        Index("ix_crash_reports_dev_game_time", "developer_id", "game_id", "created_at"),
        Index("ix_crash_reports_dev_sha", "developer_id", "minidump_sha256"),
        Index("ix_crash_reports_dev_fp_time", "developer_id", "fingerprint", "created_at"),
        Index("ix_crash_reports_window", "developer_id", "created_at", "fingerprint", "game_id"),
        Index("ix_crash_reports_dups", "developer_id", "duplicate_of", "game_id", "minidump_size"),
    )  # fmt: skip

    id: str = Field(primary_key=True, max_length=40)
    developer_id: str = Field(foreign_key="developers.id", max_length=40)
    source: str = Field(max_length=12)  # stack_trace | minidump | breakpad
    game_id: str | None = Field(default=None, max_length=100)
    platform: str | None = Field(default=None, max_length=32)
    version: str | None = Field(default=None, max_length=64)
    engine: str | None = Field(default=None, max_length=32)
    build: str | None = Field(default=None, max_length=100)
    tags: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(max_length=16)  # new | investigating | resolved | wont_fix
    processing: str = Field(max_length=12)  # processing | processed | failed
    processing_error: str | None = Field(default=None, sa_column=Column(Text))
    fingerprint: str | None = Field(default=None, max_length=64)
    title: str | None = Field(default=None, max_length=300)
    crash_reason: str | None = Field(default=None, max_length=200)
    # The inline frames a JSON submission sent (scrubbed), or None for a minidump.
    stack_trace: list[Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # The processed minidump (ProcessedCrash.to_dict, scrubbed), once processing succeeded.
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    minidump_sha256: str | None = Field(default=None, max_length=64)
    minidump_size: int | None = Field(default=None, sa_type=BigInteger)
    minidump_stored: bool = False
    duplicate_of: str | None = Field(default=None, max_length=40)
    regression: bool = False
    analysis: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime
    updated_at: datetime
    processed_at: datetime | None = None


class CrashGroup(SQLModel, table=True):
    __tablename__ = "crash_groups"

    developer_id: str = Field(foreign_key="developers.id", primary_key=True, max_length=40)
    fingerprint: str = Field(primary_key=True, max_length=64)
    title: str | None = Field(default=None, max_length=300)
    status: str = Field(max_length=16)
    first_seen: datetime
    last_seen: datetime
    latest_crash_id: str = Field(max_length=40)
    resolved_version: str | None = Field(default=None, max_length=64)
    resolved_at: datetime | None = None
    regressed_at: datetime | None = None


class CrashGroupGame(SQLModel, table=True):
    """Running totals of one fingerprint in one game (``game_key`` is "" for crashes without a
    game id). ``count`` drops when reprocessing moves a crash to another fingerprint; the
    platforms and versions seen stay listed."""

    __tablename__ = "crash_group_games"

    developer_id: str = Field(foreign_key="developers.id", primary_key=True, max_length=40)
    fingerprint: str = Field(primary_key=True, max_length=64)
    game_key: str = Field(primary_key=True, max_length=100)
    count: int = Field(default=0, sa_type=BigInteger)
    first_seen: datetime
    last_seen: datetime
    platforms: list[str] = Field(sa_column=Column(JSON, nullable=False))
    versions: list[str] = Field(sa_column=Column(JSON, nullable=False))


class CrashCount(SQLModel, table=True):
    """How many crashes a developer has per game, status, processing state and platform, kept
    by the store module on every insert and change, so the stats never count rows."""

    __tablename__ = "crash_counts"

    developer_id: str = Field(foreign_key="developers.id", primary_key=True, max_length=40)
    game_key: str = Field(primary_key=True, max_length=100)
    status: str = Field(primary_key=True, max_length=16)
    processing: str = Field(primary_key=True, max_length=12)
    platform_key: str = Field(primary_key=True, max_length=32)
    count: int = Field(default=0, sa_type=BigInteger)


class CrashMissingSymbol(SQLModel, table=True):
    """A module a processed crash had no symbols for: uploading them re-queues the crash."""

    __tablename__ = "crash_missing_symbols"

    developer_id: str = Field(foreign_key="developers.id", primary_key=True, max_length=40)
    module_key: str = Field(primary_key=True, max_length=255)
    debug_id: str = Field(primary_key=True, max_length=40)
    crash_id: str = Field(primary_key=True, max_length=40)


class DebugSession(SQLModel, table=True):
    __tablename__ = "debug_sessions"
    __table_args__ = (Index("ix_debug_sessions_dev_time", "developer_id", "created_at", "id"),)

    id: str = Field(primary_key=True, max_length=40)
    developer_id: str = Field(foreign_key="developers.id", max_length=40)
    name: str = Field(max_length=200)
    platform: str | None = Field(default=None, max_length=32)
    engine: str | None = Field(default=None, max_length=32)
    # The attribute is not called ``metadata``: SQLModel keeps its table registry there.
    meta: dict[str, Any] = Field(sa_column=Column("metadata", JSON, nullable=False))
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None = None
