"""Magic links and portal sessions: the SQL of sign-in (rows stay here; services get records)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from local_gateway.store import dialect
from local_gateway.store.accounts import _dev
from local_gateway.store.portal_tables import MagicLink, PortalSession
from local_gateway.store.records import DeveloperRecord
from local_gateway.store.tables import Developer


@dataclass(frozen=True)
class SessionRecord:
    id: str
    developer: DeveloperRecord
    created_at: datetime
    expires_at: datetime


async def add_link(
    session: AsyncSession, token_hash: str, email: str, ip: str, now: datetime, expires_at: datetime
) -> None:
    session.add(MagicLink(token_hash=token_hash, email=email, ip=ip, created_at=now, expires_at=expires_at))
    await session.flush()


async def links_since(
    session: AsyncSession, since: datetime, *, email: str | None = None, ip: str | None = None
) -> int:
    """How many links were asked for since ``since`` for ``email`` (or from ``ip``)."""
    stmt = select(func.count()).select_from(MagicLink).where(col(MagicLink.created_at) >= since)
    if email is not None:
        stmt = stmt.where(col(MagicLink.email) == email)
    if ip is not None:
        stmt = stmt.where(col(MagicLink.ip) == ip)
    return int((await session.execute(stmt)).scalar_one())


async def use_link(session: AsyncSession, token_hash: str, now: datetime) -> str | None:
    """Mark the link used and return its email: once, and only before it expires."""
    stmt = (
        update(MagicLink)
        .where(
            col(MagicLink.token_hash) == token_hash,
            col(MagicLink.used_at).is_(None),
            col(MagicLink.expires_at) > now,
        )
        .values(used_at=now)
    )
    if await dialect.affected(session, stmt) != 1:
        return None
    email = (
        await session.execute(select(col(MagicLink.email)).where(col(MagicLink.token_hash) == token_hash))
    ).scalar_one()
    return str(email)


async def add_session(
    session: AsyncSession,
    session_id: str,
    token_hash: str,
    developer_id: str,
    now: datetime,
    expires_at: datetime,
) -> None:
    session.add(
        PortalSession(
            id=session_id,
            token_hash=token_hash,
            developer_id=developer_id,
            created_at=now,
            expires_at=expires_at,
        )
    )
    await session.flush()


async def live_session(session: AsyncSession, token_hash: str, now: datetime) -> SessionRecord | None:
    """The session with this token and its developer, unless it ended or expired."""
    stmt = (
        select(PortalSession, Developer)
        .join(Developer, col(Developer.id) == col(PortalSession.developer_id))
        .where(
            col(PortalSession.token_hash) == token_hash,
            col(PortalSession.ended_at).is_(None),
            col(PortalSession.expires_at) > now,
        )
    )
    found = (await session.execute(stmt)).first()
    if found is None:
        return None
    row, developer = found
    return SessionRecord(row.id, _dev(developer), row.created_at, row.expires_at)


async def end_session(session: AsyncSession, token_hash: str, now: datetime) -> bool:
    stmt = (
        update(PortalSession)
        .where(col(PortalSession.token_hash) == token_hash, col(PortalSession.ended_at).is_(None))
        .values(ended_at=now)
    )
    return await dialect.affected(session, stmt) == 1


async def prune(session: AsyncSession, before: datetime) -> int:
    """Delete links asked for before ``before`` and sessions that ended or expired before it."""
    links = delete(MagicLink).where(col(MagicLink.created_at) < before)
    sessions = delete(PortalSession).where(
        or_(col(PortalSession.expires_at) < before, col(PortalSession.ended_at) < before)
    )
    return await dialect.affected(session, links) + await dialect.affected(session, sessions)
