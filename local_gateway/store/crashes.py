"""Crash reports, their groups, the symbols they lack, and debug sessions.

Every query filters by ``developer_id``; lists page newest first on ``(created_at, id)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from local_gateway.store.crash_records import CrashRecord, DebugSessionRecord, GroupRecord
from local_gateway.store.crash_tables import (
    CrashCount,
    CrashGroup,
    CrashGroupGame,
    CrashMissingSymbol,
    CrashReport,
    DebugSession,
)
from local_gateway.store.dialect import affected, insert_ignore

_CRASH_FIELDS = [f.name for f in fields(CrashRecord)]
_GROUP_FIELDS = [f.name for f in fields(GroupRecord)]


def _crash(row: CrashReport) -> CrashRecord:
    return CrashRecord(**{name: getattr(row, name) for name in _CRASH_FIELDS})


def _group(row: CrashGroup) -> GroupRecord:
    return GroupRecord(**{name: getattr(row, name) for name in _GROUP_FIELDS})


def _session(row: DebugSession) -> DebugSessionRecord:
    return DebugSessionRecord(
        id=row.id,
        developer_id=row.developer_id,
        name=row.name,
        platform=row.platform,
        engine=row.engine,
        metadata=dict(row.meta or {}),
        created_at=row.created_at,
        updated_at=row.updated_at,
        archived_at=row.archived_at,
    )


# -- crashes ---------------------------------------------------------------------------------


def _count_key(row: CrashReport | CrashRecord) -> tuple[str, str, str, str]:
    return (row.game_id or "", row.status, row.processing, row.platform or "")


async def _bump(session: AsyncSession, developer_id: str, key: tuple[str, str, str, str], by: int) -> None:
    """``crash_counts`` of this (game, status, processing, platform) += ``by``, in one upsert."""
    game_key, status, processing, platform_key = key
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(CrashCount).values(
        developer_id=developer_id, game_key=game_key, status=status, processing=processing,
        platform_key=platform_key, count=by,
    )  # fmt: skip
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["developer_id", "game_key", "status", "processing", "platform_key"],
            set_={"count": CrashCount.count + stmt.excluded.count},
        )
    )


async def add_crash(session: AsyncSession, **values: Any) -> CrashRecord:
    row = CrashReport(**values)
    session.add(row)
    await session.flush()
    await _bump(session, row.developer_id, _count_key(row), 1)
    return _crash(row)


async def get_crash(
    session: AsyncSession, developer_id: str, crash_id: str, *, lock: bool = False
) -> CrashRecord | None:
    stmt = select(CrashReport).where(
        col(CrashReport.id) == crash_id, col(CrashReport.developer_id) == developer_id
    )
    if lock:
        stmt = stmt.with_for_update()
    row = (await session.execute(stmt)).scalar_one_or_none()
    return _crash(row) if row is not None else None


async def update_crash(
    session: AsyncSession, developer_id: str, crash_id: str, **values: Any
) -> CrashRecord | None:
    row = await session.get(CrashReport, crash_id)
    if row is None or row.developer_id != developer_id:
        return None
    before = _count_key(row)
    for name, value in values.items():
        setattr(row, name, value)
    await session.flush()
    if (after := _count_key(row)) != before:
        await _bump(session, developer_id, before, -1)
        await _bump(session, developer_id, after, 1)
    return _crash(row)


async def first_with_dump(
    session: AsyncSession, developer_id: str, sha256: str, *, exclude: str | None = None
) -> CrashRecord | None:
    """The earliest crash of this developer whose stored minidump has this content."""
    stmt = select(CrashReport).where(
        col(CrashReport.developer_id) == developer_id,
        col(CrashReport.minidump_sha256) == sha256,
        col(CrashReport.minidump_stored).is_(True),
        col(CrashReport.duplicate_of).is_(None),
    )
    if exclude is not None:
        stmt = stmt.where(col(CrashReport.id) != exclude)
    row = (
        await session.execute(stmt.order_by(col(CrashReport.created_at), col(CrashReport.id)).limit(1))
    ).scalar()
    return _crash(row) if row is not None else None


async def duplicates_of(session: AsyncSession, developer_id: str, crash_id: str) -> list[str]:
    stmt = select(col(CrashReport.id)).where(
        col(CrashReport.developer_id) == developer_id, col(CrashReport.duplicate_of) == crash_id
    )
    return list((await session.execute(stmt)).scalars())


async def list_crashes(
    session: AsyncSession,
    developer_id: str,
    limit: int,
    *,
    before: tuple[datetime, str] | None = None,
    filters: dict[str, str] | None = None,
) -> list[CrashRecord]:
    """Newest first; ``filters`` maps a column (game_id, status, platform, version, fingerprint,
    processing) to the value it must equal."""
    stmt = select(CrashReport).where(col(CrashReport.developer_id) == developer_id)
    for name, value in (filters or {}).items():
        stmt = stmt.where(getattr(CrashReport, name) == value)
    if before is not None:
        at, crash_id = before
        stmt = stmt.where(
            (col(CrashReport.created_at) < at)
            | ((col(CrashReport.created_at) == at) & (col(CrashReport.id) < crash_id))
        )
    stmt = stmt.order_by(col(CrashReport.created_at).desc(), col(CrashReport.id).desc()).limit(limit)
    return [_crash(r) for r in (await session.execute(stmt)).scalars()]


# -- groups ----------------------------------------------------------------------------------


async def get_group(
    session: AsyncSession, developer_id: str, fingerprint: str, *, lock: bool = False
) -> GroupRecord | None:
    stmt = select(CrashGroup).where(
        col(CrashGroup.developer_id) == developer_id, col(CrashGroup.fingerprint) == fingerprint
    )
    if lock:
        stmt = stmt.with_for_update()
    row = (await session.execute(stmt)).scalar_one_or_none()
    return _group(row) if row is not None else None


async def groups_of(
    session: AsyncSession, developer_id: str, fingerprints: Iterable[str]
) -> dict[str, GroupRecord]:
    wanted = list(fingerprints)
    if not wanted:
        return {}
    stmt = select(CrashGroup).where(
        col(CrashGroup.developer_id) == developer_id,
        col(CrashGroup.fingerprint).in_(wanted),
    )
    return {row.fingerprint: _group(row) for row in (await session.execute(stmt)).scalars()}


async def claim_group(
    session: AsyncSession,
    developer_id: str,
    fingerprint: str,
    crash_id: str,
    title: str | None,
    now: datetime,
) -> bool:
    """Create the group if it does not exist; True when this call created it (a new fingerprint).

    Insert-or-ignore, so two processes recording the first two crashes of a fingerprint at once
    agree on which one was first.
    """
    stmt = insert_ignore(session, CrashGroup).values(
        developer_id=developer_id,
        fingerprint=fingerprint,
        title=title,
        status="new",
        first_seen=now,
        last_seen=now,
        latest_crash_id=crash_id,
    )
    return await affected(session, stmt) == 1


async def update_group(session: AsyncSession, developer_id: str, fingerprint: str, **values: Any) -> None:
    await session.execute(
        update(CrashGroup)
        .where(col(CrashGroup.developer_id) == developer_id, col(CrashGroup.fingerprint) == fingerprint)
        .values(**values)
    )


async def count_occurrence(
    session: AsyncSession,
    developer_id: str,
    fingerprint: str,
    game_id: str | None,
    at: datetime,
    platform: str | None,
    version: str | None,
) -> None:
    """One more crash of ``fingerprint`` in this game: the running totals of trends."""
    game_key = game_id or ""
    await session.execute(
        insert_ignore(session, CrashGroupGame).values(
            developer_id=developer_id, fingerprint=fingerprint, game_key=game_key, count=0,
            first_seen=at, last_seen=at, platforms=[], versions=[],
        )
    )  # fmt: skip
    row = await session.get(CrashGroupGame, (developer_id, fingerprint, game_key), with_for_update=True)
    assert row is not None
    row.count += 1
    row.first_seen = min(row.first_seen, at)
    row.last_seen = max(row.last_seen, at)
    if platform and platform not in row.platforms:
        row.platforms = sorted([*row.platforms, platform])
    if version and version not in row.versions:
        row.versions = [*row.versions, version]
    await session.flush()


async def uncount_occurrence(
    session: AsyncSession, developer_id: str, fingerprint: str, game_id: str | None
) -> None:
    """A crash left ``fingerprint`` (reprocessed into another one)."""
    await session.execute(
        update(CrashGroupGame)
        .where(
            col(CrashGroupGame.developer_id) == developer_id,
            col(CrashGroupGame.fingerprint) == fingerprint,
            col(CrashGroupGame.game_key) == (game_id or ""),
            col(CrashGroupGame.count) > 0,
        )
        .values(count=CrashGroupGame.count - 1)
    )


async def versions_of(session: AsyncSession, developer_id: str, fingerprint: str) -> list[str]:
    stmt = (
        select(col(CrashReport.version))
        .where(
            col(CrashReport.developer_id) == developer_id,
            col(CrashReport.fingerprint) == fingerprint,
            col(CrashReport.version).is_not(None),
        )
        .distinct()
    )
    return [v for v in (await session.execute(stmt)).scalars() if v]


# -- symbols a crash lacks -------------------------------------------------------------------


async def set_missing_symbols(
    session: AsyncSession, developer_id: str, crash_id: str, modules: Iterable[tuple[str, str]]
) -> None:
    await session.execute(
        delete(CrashMissingSymbol).where(
            col(CrashMissingSymbol.developer_id) == developer_id,
            col(CrashMissingSymbol.crash_id) == crash_id,
        )
    )
    for module_key, debug_id in sorted(set(modules)):
        session.add(
            CrashMissingSymbol(
                developer_id=developer_id, module_key=module_key, debug_id=debug_id, crash_id=crash_id
            )
        )
    await session.flush()


async def crashes_missing(
    session: AsyncSession, developer_id: str, modules: Iterable[tuple[str, str]]
) -> list[str]:
    """Crashes that lacked symbols of any of these ``(module_key, debug_id)`` pairs."""
    found: set[str] = set()
    for module_key, debug_id in set(modules):
        stmt = select(col(CrashMissingSymbol.crash_id)).where(
            col(CrashMissingSymbol.developer_id) == developer_id,
            col(CrashMissingSymbol.module_key) == module_key,
            col(CrashMissingSymbol.debug_id) == debug_id,
        )
        found.update((await session.execute(stmt)).scalars())
    return sorted(found)


# -- debug sessions --------------------------------------------------------------------------


async def add_debug_session(session: AsyncSession, **values: Any) -> DebugSessionRecord:
    row = DebugSession(**values)
    session.add(row)
    await session.flush()
    return _session(row)


async def get_debug_session(
    session: AsyncSession, developer_id: str, session_id: str
) -> DebugSessionRecord | None:
    row = await session.get(DebugSession, session_id)
    if row is None or row.developer_id != developer_id or row.archived_at is not None:
        return None
    return _session(row)


async def archive_debug_session(
    session: AsyncSession, developer_id: str, session_id: str, now: datetime
) -> DebugSessionRecord | None:
    row = await session.get(DebugSession, session_id)
    if row is None or row.developer_id != developer_id or row.archived_at is not None:
        return None
    row.archived_at = now
    row.updated_at = now
    await session.flush()
    return _session(row)


async def list_debug_sessions(
    session: AsyncSession, developer_id: str, limit: int, before: tuple[datetime, str] | None = None
) -> list[DebugSessionRecord]:
    stmt = select(DebugSession).where(
        col(DebugSession.developer_id) == developer_id,
        col(DebugSession.archived_at).is_(None),
    )
    if before is not None:
        at, session_id = before
        stmt = stmt.where(
            (col(DebugSession.created_at) < at)
            | ((DebugSession.created_at == at) & (DebugSession.id < session_id))
        )
    stmt = stmt.order_by(col(DebugSession.created_at).desc(), col(DebugSession.id).desc()).limit(limit)
    return [_session(r) for r in (await session.execute(stmt)).scalars()]


async def set_group_crash_status(
    session: AsyncSession, developer_id: str, fingerprint: str, status: str, now: datetime
) -> None:
    """Every crash of the fingerprint takes the group's triage status."""
    R = CrashReport
    of_group = (col(R.developer_id) == developer_id, col(R.fingerprint) == fingerprint)
    moving = select(col(R.game_id), col(R.status), col(R.processing), col(R.platform), func.count()).where(
        *of_group, col(R.status) != status
    )
    for game_id, old, processing, platform, n in (
        await session.execute(
            moving.group_by(col(R.game_id), col(R.status), col(R.processing), col(R.platform))
        )
    ).all():
        await _bump(session, developer_id, (game_id or "", old, processing, platform or ""), -n)
        await _bump(session, developer_id, (game_id or "", status, processing, platform or ""), n)
    await session.execute(
        update(CrashReport)
        .where(col(CrashReport.developer_id) == developer_id, col(CrashReport.fingerprint) == fingerprint)
        .values(status=status, updated_at=now)
    )
