"""Aggregates over a developer's crashes: trends per fingerprint and the stats totals.

Each is a handful of grouped queries over ``crash_reports`` served by its
``(developer_id, fingerprint, created_at)`` and ``(developer_id, created_at)`` indexes, never
one query per crash; ``bench/bench_crashes.py`` times them at 100k crashes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from local_gateway.store.crash_tables import CrashGroup, CrashReport

R = CrashReport


def _where(
    developer_id: str, game_id: str | None, since: datetime | None, until: datetime | None
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [R.developer_id == developer_id]  # type: ignore[list-item]
    if game_id is not None:
        conditions.append(R.game_id == game_id)  # type: ignore[arg-type]
    if since is not None:
        conditions.append(R.created_at >= since)  # type: ignore[arg-type]
    if until is not None:
        conditions.append(R.created_at < until)  # type: ignore[arg-type]
    return conditions


async def trends(
    session: AsyncSession,
    developer_id: str,
    *,
    game_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Fingerprints by occurrences in the window, most first: count, first/last seen, the
    platforms and versions seen, and the group's triage state."""
    where = [*_where(developer_id, game_id, since, until), R.fingerprint.is_not(None)]  # type: ignore[union-attr]
    counted = (
        select(
            R.fingerprint,
            func.count().label("count"),
            func.min(R.created_at).label("first_seen"),
            func.max(R.created_at).label("last_seen"),
        )
        .where(*where)
        .group_by(R.fingerprint)
        .order_by(func.count().desc(), func.max(R.created_at).desc(), R.fingerprint)
        .limit(limit)
    )
    rows = (await session.execute(counted)).all()
    if not rows:
        return []
    fingerprints = [r.fingerprint for r in rows]
    scoped = [*where, R.fingerprint.in_(fingerprints)]  # type: ignore[union-attr]
    platforms: dict[str, list[str]] = {}
    versions: dict[str, list[str]] = {}
    for column, into in ((R.platform, platforms), (R.version, versions)):
        stmt = select(R.fingerprint, column).where(*scoped, column.is_not(None)).distinct()  # type: ignore[union-attr]
        for fingerprint, value in (await session.execute(stmt)).all():
            into.setdefault(fingerprint, []).append(value)
    groups_stmt = select(CrashGroup).where(
        CrashGroup.developer_id == developer_id,
        CrashGroup.fingerprint.in_(fingerprints),  # type: ignore[attr-defined]
    )
    groups = {g.fingerprint: g for g in (await session.execute(groups_stmt)).scalars()}
    out = []
    for r in rows:
        group = groups.get(r.fingerprint)
        out.append(
            {
                "fingerprint": r.fingerprint,
                "title": group.title if group else None,
                "count": int(r.count),
                "first_seen": r.first_seen,
                "last_seen": r.last_seen,
                "platforms": sorted(platforms.get(r.fingerprint, [])),
                "versions": versions.get(r.fingerprint, []),
                "status": group.status if group else "new",
                "resolved_version": group.resolved_version if group else None,
                "regressed_at": group.regressed_at if group else None,
                "latest_crash_id": group.latest_crash_id if group else None,
            }
        )
    return out


async def stats(
    session: AsyncSession, developer_id: str, now: datetime, *, game_id: str | None = None
) -> dict[str, Any]:
    """Totals, status breakdown, velocity, per-platform and per-game counts, dedup savings."""
    where = _where(developer_id, game_id, None, None)
    totals = (
        await session.execute(
            select(
                func.count(),
                func.count(func.distinct(R.fingerprint)),
                func.sum(case((R.created_at >= now - timedelta(hours=24), 1), else_=0)),
                func.sum(case((R.created_at >= now - timedelta(days=7), 1), else_=0)),
            ).where(*where)
        )
    ).one()

    async def counts(column: Any) -> dict[str, int]:
        stmt = select(column, func.count()).where(*where).group_by(column)
        return {str(k): int(n) for k, n in (await session.execute(stmt)).all() if k is not None}

    dedup = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(R.minidump_size), 0)).where(
                *where,
                R.duplicate_of.is_not(None),  # type: ignore[union-attr]
            )
        )
    ).one()
    return {
        "total": int(totals[0]),
        "unique_fingerprints": int(totals[1]),
        "last_24h": int(totals[2] or 0),
        "last_7d": int(totals[3] or 0),
        "by_status": await counts(R.status),
        "by_processing": await counts(R.processing),
        "by_platform": await counts(R.platform),
        "by_game": await counts(R.game_id),
        "duplicates": int(dedup[0]),
        "bytes_saved": int(dedup[1]),
    }
