"""Grouping by fingerprint, triage state, and regressions.

A fingerprint's group holds its triage status; every crash of the fingerprint carries that
status, so ``PATCH`` on one crash triages the group (like an issue in Sentry).

**Regression.** Resolving a group records the newest version it was seen in. A later crash of
the fingerprint in a *newer* version (compared as release numbers: ``1.10`` > ``1.9``) reopens
the group as ``new``, is flagged ``regression``, and emits ``crash.regression``; a crash in the
resolved version or an older one (players who have not updated) leaves it resolved. When no
resolved crash had a version, any later crash counts as a regression. The first crash of a
fingerprint emits ``crash.new_fingerprint``.
"""

from __future__ import annotations

import re
from datetime import datetime

from packaging.version import InvalidVersion, Version

from local_gateway.services.core.ids import new_id
from local_gateway.store import crashes as store
from local_gateway.store import events as event_store
from local_gateway.store.crash_records import CrashRecord
from local_gateway.store.db import Session
from local_gateway.store.events import NewEvent

NEW_FINGERPRINT = "crash.new_fingerprint"
REGRESSION = "crash.regression"


def version_key(version: str) -> tuple[tuple[int, ...], Version | None]:
    """Release order: PEP 440 when both sides parse (``1.10`` > ``1.9``, ``2.0.0rc1`` < ``2.0.0``),
    else the numbers in them (``1.4.3-hotfix`` → 1, 4, 3)."""
    numbers = tuple(int(n) for n in re.findall(r"\d+", version)[:8])
    try:
        return numbers, Version(version)
    except InvalidVersion:
        return numbers, None


def newer(version: str | None, than: str | None) -> bool:
    if version is None or than is None:
        return False
    (a_numbers, a), (b_numbers, b) = version_key(version), version_key(than)
    if a is not None and b is not None:
        return a > b
    return a_numbers > b_numbers


def newest(versions: list[str]) -> str | None:
    best: str | None = None
    for version in versions:
        if best is None or newer(version, best):
            best = version
    return best


def _event(kind: str, crash: CrashRecord, now: datetime) -> NewEvent:
    data = {
        "crash_id": crash.id,
        "fingerprint": crash.fingerprint,
        "title": crash.title,
        "game_id": crash.game_id,
        "platform": crash.platform,
        "version": crash.version,
        "crash_reason": crash.crash_reason,
    }
    return NewEvent(id=new_id("evt"), type=kind, data=data, created_at=now)


async def record(
    session: Session, crash: CrashRecord, now: datetime, *, previous: str | None = None, first: bool
) -> CrashRecord:
    """Account a (re)processed crash to its fingerprint's group; returns the crash as stored.

    ``first`` is False when symbols arrived and the crash was processed again: it is not a new
    occurrence, so regressions and events are left alone; if its fingerprint changed
    (``previous``), it moves from that group's totals to the new one's.
    """
    fingerprint = crash.fingerprint
    assert fingerprint is not None
    developer_id = crash.developer_id
    created = await store.claim_group(
        session, developer_id, fingerprint, crash.id, crash.title, crash.created_at
    )
    group = await store.get_group(session, developer_id, fingerprint, lock=True)
    assert group is not None
    values: dict[str, object] = {
        "last_seen": max(group.last_seen, crash.created_at),
        "first_seen": min(group.first_seen, crash.created_at),
        "latest_crash_id": crash.id if crash.created_at >= group.last_seen else group.latest_crash_id,
    }
    if crash.title and group.title is None:
        values["title"] = crash.title
    if previous != fingerprint:
        if previous is not None:
            await store.uncount_occurrence(session, developer_id, previous, crash.game_id)
        await store.count_occurrence(
            session, developer_id, fingerprint, crash.game_id, crash.created_at, crash.platform, crash.version
        )
    if not first:
        await store.update_group(session, developer_id, fingerprint, **values)
        return await _with_status(session, crash, group.status, regression=crash.regression)
    events = [_event(NEW_FINGERPRINT, crash, now)] if created else []
    status, regression = group.status, False
    if group.status == "resolved" and (
        newer(crash.version, group.resolved_version)
        or (group.resolved_version is None and crash.created_at > (group.resolved_at or now))
    ):
        status, regression = "new", True
        values.update(status="new", regressed_at=now, resolved_at=None)
    await store.update_group(session, developer_id, fingerprint, **values)
    updated = await _with_status(session, crash, status, regression=regression)
    if regression:
        events.append(_event(REGRESSION, updated, now))
    await event_store.append(session, developer_id, events)
    return updated


async def _with_status(session: Session, crash: CrashRecord, status: str, *, regression: bool) -> CrashRecord:
    if crash.status == status and crash.regression == regression:
        return crash
    updated = await store.update_crash(
        session, crash.developer_id, crash.id, status=status, regression=regression
    )
    assert updated is not None
    return updated


async def set_status(session: Session, crash: CrashRecord, status: str, now: datetime) -> CrashRecord:
    """Triage: the crash and, when it has one, its whole fingerprint group take ``status``."""
    if crash.fingerprint is None:
        updated = await store.update_crash(
            session, crash.developer_id, crash.id, status=status, updated_at=now
        )
        assert updated is not None
        return updated
    developer_id, fingerprint = crash.developer_id, crash.fingerprint
    values: dict[str, object] = {"status": status}
    if status == "resolved":
        versions = await store.versions_of(session, developer_id, fingerprint)
        values.update(resolved_version=newest(versions), resolved_at=now)
    else:
        values.update(resolved_version=None, resolved_at=None)
    await store.update_group(session, developer_id, fingerprint, **values)
    await store.set_group_crash_status(session, developer_id, fingerprint, status, now)
    updated = await store.get_crash(session, developer_id, crash.id)
    assert updated is not None
    return updated
