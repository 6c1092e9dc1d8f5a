"""Developers and API keys (the credit ledger is :mod:`local_gateway.store.ledger`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from local_gateway.store.records import DeveloperRecord, KeyRecord
from local_gateway.store.tables import ApiKey, Developer


def _dev(row: Developer) -> DeveloperRecord:
    return DeveloperRecord(row.id, row.email, row.tier, row.rpm_override, row.created_at, row.tos_accepted_at)


def _key(row: ApiKey) -> KeyRecord:
    return KeyRecord(
        row.id,
        row.developer_id,
        row.prefix,
        row.last4,
        row.environment,
        row.name,
        row.rpm_override,
        row.created_at,
        row.last_used_at,
        row.revoked_at,
        row.expires_at,
        row.replaced_by,
    )


async def developer_count(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(Developer))).scalar_one())


async def get_developer(session: AsyncSession, developer_id: str) -> DeveloperRecord | None:
    row = await session.get(Developer, developer_id)
    return _dev(row) if row else None


async def get_developer_by_email(session: AsyncSession, email: str) -> DeveloperRecord | None:
    row = (await session.execute(select(Developer).where(col(Developer.email) == email))).scalar_one_or_none()
    return _dev(row) if row else None


async def add_developer(
    session: AsyncSession,
    developer_id: str,
    email: str,
    tier: str,
    created_at: datetime,
    *,
    tos_accepted: bool = True,
) -> DeveloperRecord:
    """A new developer; ``tos_accepted=False`` for a sign-up that still has to accept the terms."""
    row = Developer(
        id=developer_id,
        email=email,
        tier=tier,
        created_at=created_at,
        tos_accepted_at=created_at if tos_accepted else None,
    )
    session.add(row)
    await session.flush()
    return _dev(row)


async def accept_tos(session: AsyncSession, developer_id: str, at: datetime) -> None:
    """Record the developer's acceptance of the terms (the first acceptance stays)."""
    stmt = (
        update(Developer)
        .where(col(Developer.id) == developer_id, col(Developer.tos_accepted_at).is_(None))
        .values(tos_accepted_at=at)
    )
    await session.execute(stmt)


async def set_developer_tier(
    session: AsyncSession, developer_id: str, tier: str, rpm_override: int | None
) -> None:
    row = await session.get(Developer, developer_id)
    if row is not None:
        row.tier = tier
        if rpm_override is not None:
            row.rpm_override = rpm_override


async def add_key(session: AsyncSession, **fields: object) -> KeyRecord:
    row = ApiKey(**fields)  # type: ignore[arg-type]
    session.add(row)
    await session.flush()
    return _key(row)


async def key_by_hash(session: AsyncSession, key_hash: str) -> tuple[KeyRecord, DeveloperRecord] | None:
    stmt = (
        select(ApiKey, Developer)
        .join(Developer, col(Developer.id) == col(ApiKey.developer_id))
        .where(col(ApiKey.key_hash) == key_hash)
    )
    found = (await session.execute(stmt)).first()
    if found is None:
        return None
    return _key(found[0]), _dev(found[1])


async def key_by_id(session: AsyncSession, key_id: str) -> tuple[KeyRecord, DeveloperRecord] | None:
    stmt = (
        select(ApiKey, Developer)
        .join(Developer, col(Developer.id) == col(ApiKey.developer_id))
        .where(col(ApiKey.id) == key_id)
    )
    found = (await session.execute(stmt)).first()
    if found is None:
        return None
    return _key(found[0]), _dev(found[1])


async def revoke_key(session: AsyncSession, key_id: str, at: datetime) -> KeyRecord | None:
    """Mark a key revoked (kept for the audit trail); None when there is no such key."""
    row = await session.get(ApiKey, key_id)
    if row is None:
        return None
    if row.revoked_at is None:
        row.revoked_at = at
        await session.flush()
    return _key(row)


async def keys_of(session: AsyncSession, developer_id: str) -> list[KeyRecord]:
    stmt = (
        select(ApiKey)
        .where(col(ApiKey.developer_id) == developer_id)
        .order_by(col(ApiKey.created_at).desc(), col(ApiKey.id).desc())
    )
    return [_key(r) for r in (await session.execute(stmt)).scalars()]


async def expire_key(session: AsyncSession, key_id: str, at: datetime, replaced_by: str) -> KeyRecord | None:
    """End a rotated key's life at ``at`` (its grace period); the earlier end wins."""
    row = await session.get(ApiKey, key_id)
    if row is None:
        return None
    if row.expires_at is None or at < row.expires_at:
        row.expires_at = at
    row.replaced_by = replaced_by
    await session.flush()
    return _key(row)


async def touch_keys(session: AsyncSession, used: dict[str, datetime]) -> None:
    """Record when each key was last used (only ever moves forward)."""
    for key_id, at in used.items():
        await session.execute(
            update(ApiKey)
            .where(col(ApiKey.id) == key_id)
            .where((col(ApiKey.last_used_at).is_(None)) | (col(ApiKey.last_used_at) < at))
            .values(last_used_at=at)
        )
