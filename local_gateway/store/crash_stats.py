"""Aggregates over a developer's crashes: trends per fingerprint and the stats totals.

All-time trends and the stats breakdowns read running totals the store keeps on every write
(``crash_group_games``, ``crash_counts``); windowed trends, velocity and dedup savings read
index ranges that hold only the rows they count (``ix_crash_reports_window``,
``ix_crash_reports_dups``; the rows themselves hold large processed results).
``bench/bench_crashes.py`` times them at 100k crashes.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from local_gateway.store.crash_tables import CrashCount, CrashGroup, CrashGroupGame, CrashReport

R = CrashReport


def _where(
    developer_id: str, game_id: str | None, since: datetime | None, until: datetime | None
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [col(R.developer_id) == developer_id]
    if game_id is not None:
        conditions.append(col(R.game_id) == game_id)
    if since is not None:
        conditions.append(col(R.created_at) >= since)
    if until is not None:
        conditions.append(col(R.created_at) < until)
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
    """Fingerprints by occurrences, most first: count, first/last seen, the platforms and
    versions seen, and the group's triage state.

    All time, the running totals of ``crash_group_games`` answer (a row per group and game,
    ranked in SQL). In a window (``since`` / ``until``), count and first/last seen are counted
    from the crashes in it, over the ``(developer, created_at, fingerprint, game)`` index;
    platforms and versions are then those the group was ever seen on.
    """
    G = CrashGroupGame
    # The ranking query: totals of the running table, or a count over the window's rows.
    count: Any
    ranking: Any
    last: Any
    if since is None and until is None:
        count = func.sum(G.count)
        where: list[Any] = [G.developer_id == developer_id]
        if game_id is not None:
            where.append(G.game_key == game_id)
        ranking = (
            select(col(G.fingerprint), count, func.min(col(G.first_seen)), func.max(col(G.last_seen)))
            .where(*where)
            .group_by(G.fingerprint)
            .having(count > 0)
        )
        last = func.max(G.last_seen)
    else:
        count = func.count()
        where = [*_where(developer_id, game_id, since, until), col(R.fingerprint).is_not(None)]
        ranking = (
            select(col(R.fingerprint), count, func.min(col(R.created_at)), func.max(col(R.created_at)))
            .where(*where)
            .group_by(R.fingerprint)
        )
        last = func.max(R.created_at)
    # Ranked in SQL: only the page's groups come back, however many the account has.
    ranking = ranking.order_by(count.desc(), last.desc(), ranking.selected_columns[0]).limit(limit)
    ranked = [(fp, (n, first, latest)) for fp, n, first, latest in (await session.execute(ranking)).all()]
    if not ranked:
        return []
    chosen = [fp for fp, _ in ranked]
    seen = select(col(G.fingerprint), col(G.platforms), col(G.versions)).where(
        col(G.developer_id) == developer_id,
        col(G.fingerprint).in_(chosen),
    )
    if game_id is not None:
        seen = seen.where(col(G.game_key) == game_id)
    rows = (await session.execute(seen)).all()
    platforms: dict[str, set[str]] = defaultdict(set)
    versions: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        platforms[row.fingerprint].update(row.platforms)
        versions[row.fingerprint].update(row.versions)
    groups_stmt = select(CrashGroup).where(
        col(CrashGroup.developer_id) == developer_id,
        col(CrashGroup.fingerprint).in_(chosen),
    )
    groups = {g.fingerprint: g for g in (await session.execute(groups_stmt)).scalars()}
    out = []
    for fingerprint, (occurrences, first, latest) in ranked:
        group = groups.get(fingerprint)
        out.append(
            {
                "fingerprint": fingerprint,
                "title": group.title if group else None,
                "count": int(occurrences),
                "first_seen": first,
                "last_seen": latest,
                "platforms": sorted(platforms[fingerprint]),
                "versions": sorted(versions[fingerprint], key=_release),
                "status": group.status if group else "new",
                "resolved_version": group.resolved_version if group else None,
                "regressed_at": group.regressed_at if group else None,
                "latest_crash_id": group.latest_crash_id if group else None,
            }
        )
    return out


def _release(version: str) -> tuple[tuple[int, ...], str]:
    return tuple(int(n) for n in re.findall(r"\d+", version)[:8]), version


async def stats(
    session: AsyncSession, developer_id: str, now: datetime, *, game_id: str | None = None
) -> dict[str, Any]:
    """Totals, status breakdown, velocity, per-platform and per-game counts, dedup savings.

    Breakdowns come from ``crash_counts`` and the unique fingerprints from the running totals
    (both kept by :mod:`.crashes`); only the 24 h / 7 d velocity and the dedup savings count
    rows, over index ranges that hold just those rows."""
    C, G = CrashCount, CrashGroupGame
    counted = select(
        col(C.game_key), col(C.status), col(C.processing), col(C.platform_key), col(C.count)
    ).where(col(C.developer_id) == developer_id, col(C.count) > 0)
    groups = select(func.count(func.distinct(G.fingerprint))).where(
        col(G.developer_id) == developer_id, col(G.count) > 0
    )
    if game_id is not None:
        counted = counted.where(col(C.game_key) == game_id)
        groups = groups.where(col(G.game_key) == game_id)
    total = 0
    by: dict[str, dict[str, int]] = {"status": {}, "processing": {}, "platform": {}, "game": {}}
    for game, status, processing, platform, count in (await session.execute(counted)).all():
        total += count
        for name, key in (
            ("status", status),
            ("processing", processing),
            ("platform", platform),
            ("game", game),
        ):
            if key:
                by[name][key] = by[name].get(key, 0) + int(count)

    async def since(at: datetime) -> int:
        stmt = select(func.count()).where(*_where(developer_id, game_id, at, None))
        return int((await session.execute(stmt)).scalar_one())

    dedup = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(R.minidump_size), 0)).where(
                *_where(developer_id, game_id, None, None),
                col(R.duplicate_of).is_not(None),
            )
        )
    ).one()
    return {
        "total": total,
        "unique_fingerprints": int((await session.execute(groups)).scalar_one()),
        "last_24h": await since(now - timedelta(hours=24)),
        "last_7d": await since(now - timedelta(days=7)),
        "by_status": by["status"],
        "by_processing": by["processing"],
        "by_platform": by["platform"],
        "by_game": by["game"],
        "duplicates": int(dedup[0] or 0),
        "bytes_saved": int(dedup[1] or 0),
    }
