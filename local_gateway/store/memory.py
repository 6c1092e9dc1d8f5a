"""Queries on a thread's running summaries and recall memories."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from local_gateway.store.dialect import affected, insert_ignore
from local_gateway.store.thread_records import (
    MemoryRow,
    NewMemory,
    SummaryRecord,
)
from local_gateway.store.thread_tables import (
    ThreadMemory,
    ThreadSummary,
)

# --- summaries and memories ----------------------------------------------------------------------


async def get_summary(session: AsyncSession, thread_id: str, viewer: str) -> SummaryRecord | None:
    row = await session.get(ThreadSummary, (thread_id, viewer))
    return SummaryRecord(row.viewer, row.text, row.upto_seq) if row else None


async def save_summary(
    session: AsyncSession,
    *,
    developer_id: str,
    thread_id: str,
    viewer: str,
    text_: str,
    upto_seq: int,
    expected_upto: int | None,
    now: datetime,
) -> bool:
    """Write the summary only if nobody folded meanwhile (``expected_upto`` None = no row yet)."""
    if expected_upto is None:
        stmt = insert_ignore(session, ThreadSummary).values(
            thread_id=thread_id,
            viewer=viewer,
            developer_id=developer_id,
            text=text_,
            upto_seq=upto_seq,
            updated_at=now,
        )
        return bool(await affected(session, stmt))
    stmt = (
        update(ThreadSummary)
        .where(
            col(ThreadSummary.thread_id) == thread_id,
            col(ThreadSummary.viewer) == viewer,
            col(ThreadSummary.upto_seq) == expected_upto,
        )
        .values(text=text_, upto_seq=upto_seq, updated_at=now)
    )
    return bool(await affected(session, stmt))


async def insert_memories(
    session: AsyncSession, thread_id: str, developer_id: str, memories: Sequence[NewMemory], now: datetime
) -> None:
    if not memories:
        return
    rows = [
        {
            "thread_id": thread_id,
            "developer_id": developer_id,
            "kind": m.kind,
            "seq_from": m.seq_from,
            "seq_to": m.seq_to,
            "text": m.text,
            "importance": m.importance,
            "vector": m.vector,
            "created_at": now,
        }
        for m in memories
    ]
    await session.execute(insert(ThreadMemory), rows)


async def memories_after(session: AsyncSession, thread_id: str, after_id: int) -> list[MemoryRow]:
    stmt = (
        select(
            col(ThreadMemory.id),
            col(ThreadMemory.kind),
            col(ThreadMemory.seq_from),
            col(ThreadMemory.seq_to),
            col(ThreadMemory.importance),
            col(ThreadMemory.vector),
        )
        .where(col(ThreadMemory.thread_id) == thread_id, col(ThreadMemory.id) > after_id)
        .order_by(col(ThreadMemory.id))
    )
    out = []
    for id_, kind, seq_from, seq_to, weight, vector in (await session.execute(stmt)).all():
        assert id_ is not None, "a stored memory has its key"
        out.append(MemoryRow(id_, kind, seq_from, seq_to, weight, vector))
    return out


async def memory_texts(session: AsyncSession, thread_id: str, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    stmt = select(col(ThreadMemory.id), col(ThreadMemory.text)).where(
        col(ThreadMemory.thread_id) == thread_id, col(ThreadMemory.id).in_(list(ids))
    )
    return {i: t for i, t in (await session.execute(stmt)).all() if i is not None}


async def memory_count(session: AsyncSession, thread_id: str) -> int:
    stmt = select(func.count()).where(col(ThreadMemory.thread_id) == thread_id)
    return int((await session.execute(stmt)).scalar_one())
