"""Queries on threads and first interactions.

Every function takes the developer id (or a thread already checked against it): a thread of
another developer is simply not found.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from local_gateway.store.dialect import affected, insert_ignore
from local_gateway.store.thread_records import (
    ThreadRecord,
)
from local_gateway.store.thread_tables import (
    NpcInteraction,
    Thread,
    ThreadMemory,
    ThreadMessage,
    ThreadSummary,
)


def _thread(row: Thread) -> ThreadRecord:
    return ThreadRecord(
        row.id,
        row.developer_id,
        row.kind,
        row.npc_id,
        row.player_id,
        row.npc_template,
        row.system_prompt,
        row.response_style,
        dict(row.meta or {}),
        dict(row.state or {}),
        list(row.actions or []),
        list(row.participants) if row.participants is not None else None,
        row.message_count,
        row.last_seq,
        row.last_model,
        row.created_at,
        row.updated_at,
        row.last_message_at,
        npc_template_version=row.npc_template_version,
    )


# --- threads -------------------------------------------------------------------------------------


async def insert_thread(session: AsyncSession, **fields: Any) -> ThreadRecord:
    fields["meta"] = fields.pop("metadata", None) or {}
    row = Thread(**fields)
    session.add(row)
    await session.flush()
    return _thread(row)


async def get_thread(
    session: AsyncSession, developer_id: str, thread_id: str, for_update: bool = False
) -> ThreadRecord | None:
    row = await session.get(Thread, thread_id, with_for_update=for_update or None)
    if row is None or row.developer_id != developer_id:
        return None
    return _thread(row)


async def find_thread(
    session: AsyncSession, developer_id: str, npc_id: str, player_id: str | None
) -> ThreadRecord | None:
    """The newest one-NPC thread between ``npc_id`` and ``player_id`` (None = no player)."""
    player = col(Thread.player_id).is_(None) if player_id is None else col(Thread.player_id) == player_id
    stmt = (
        select(Thread)
        .where(
            col(Thread.developer_id) == developer_id,
            col(Thread.npc_id) == npc_id,
            player,
            col(Thread.kind) == "single",
        )
        .order_by(col(Thread.created_at).desc(), col(Thread.id).desc())
        .limit(1)
    )
    row = (await session.execute(stmt)).scalar_one_or_none()
    return _thread(row) if row else None


async def lock_key(session: AsyncSession, key: str) -> None:
    """Serialise find-or-create of one key across processes (PostgreSQL; SQLite writes are serial)."""
    if session.get_bind().dialect.name == "postgresql":
        digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
        lock = int.from_bytes(digest, "big", signed=True)
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock})


async def list_threads(
    session: AsyncSession,
    developer_id: str,
    *,
    npc_id: str | None,
    player_id: str | None,
    limit: int,
    before: tuple[datetime, str] | None,
) -> list[ThreadRecord]:
    stmt = select(Thread).where(col(Thread.developer_id) == developer_id)
    if npc_id is not None:
        stmt = stmt.where(col(Thread.npc_id) == npc_id)
    if player_id is not None:
        stmt = stmt.where(col(Thread.player_id) == player_id)
    if before is not None:
        at, tid = before
        stmt = stmt.where(
            or_(col(Thread.created_at) < at, and_(col(Thread.created_at) == at, col(Thread.id) < tid))
        )
    stmt = stmt.order_by(col(Thread.created_at).desc(), col(Thread.id).desc()).limit(limit)
    return [_thread(r) for r in (await session.execute(stmt)).scalars()]


async def threads_page(
    session: AsyncSession,
    developer_id: str,
    *,
    npc_id: str | None,
    player_id: str | None,
    thread_ids: Sequence[str] | None,
    after: str | None,
    limit: int,
) -> list[ThreadRecord]:
    """Threads in id order, a page at a time (export walks them without holding them all).

    With ``npc_id``, group threads are all included: whether the NPC is in the scene is read
    from the participants by the caller.
    """
    stmt = select(Thread).where(col(Thread.developer_id) == developer_id)
    if npc_id is not None:
        stmt = stmt.where(or_(col(Thread.npc_id) == npc_id, col(Thread.kind) == "group"))
    if player_id is not None:
        stmt = stmt.where(col(Thread.player_id) == player_id)
    if thread_ids is not None:
        stmt = stmt.where(col(Thread.id).in_(list(thread_ids)))
    if after is not None:
        stmt = stmt.where(col(Thread.id) > after)
    stmt = stmt.order_by(col(Thread.id)).limit(limit)
    return [_thread(r) for r in (await session.execute(stmt)).scalars()]


async def update_thread(
    session: AsyncSession, developer_id: str, thread_id: str, **values: Any
) -> ThreadRecord | None:
    row = await session.get(Thread, thread_id)
    if row is None or row.developer_id != developer_id:
        return None
    if "metadata" in values:
        values["meta"] = values.pop("metadata")
    for name, value in values.items():
        setattr(row, name, value)
    await session.flush()
    return _thread(row)


async def delete_thread(session: AsyncSession, developer_id: str, thread_id: str) -> bool:
    row = await session.get(Thread, thread_id)
    if row is None or row.developer_id != developer_id:
        return False
    # Children first: the cascade in the schema is a safety net, not the mechanism.
    for table in (ThreadMessage, ThreadMemory, ThreadSummary):
        await session.execute(delete(table).where(col(table.thread_id) == thread_id))
    await session.delete(row)
    return True


# --- first interactions and events ---------------------------------------------------------------


async def record_interaction(
    session: AsyncSession, developer_id: str, npc_id: str, player_id: str, thread_id: str, now: datetime
) -> bool:
    """True when this is the first time ``player_id`` and ``npc_id`` met."""
    stmt = insert_ignore(session, NpcInteraction).values(
        developer_id=developer_id, npc_id=npc_id, player_id=player_id, thread_id=thread_id, first_at=now
    )
    return bool(await affected(session, stmt))
