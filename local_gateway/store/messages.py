"""Queries on the messages of a thread: appending, pages, and what a viewer may see."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from local_gateway.store.thread_records import (
    MessageRecord,
    NewMessage,
    ThreadRecord,
)
from local_gateway.store.thread_tables import (
    Thread,
    ThreadMessage,
)

Ranges = Sequence[tuple[int, int | None]]


def message_record(row: Any) -> MessageRecord:
    return MessageRecord(
        row.id,
        row.thread_id,
        row.seq,
        row.role,
        row.name,
        row.content,
        row.tool_calls,
        row.tool_call_id,
        row.model,
        row.created_at,
    )


def visible(ranges: Ranges | None, column: Any = ThreadMessage.seq) -> Any:
    if not ranges:
        return text("1=1") if ranges is None else text("1=0")
    parts = [column >= lo if hi is None else and_(column >= lo, column <= hi) for lo, hi in ranges]
    return or_(*parts)


# --- messages ------------------------------------------------------------------------------------


async def append_messages(
    session: AsyncSession,
    thread: ThreadRecord,
    messages: Sequence[NewMessage],
    now: datetime,
    model: str | None = None,
) -> list[MessageRecord]:
    """Store ``messages`` at the end of the thread; the sequence numbers are taken atomically."""
    if not messages:
        return []
    n = len(messages)
    values: dict[str, Any] = {
        "last_seq": Thread.last_seq + n,
        "message_count": Thread.message_count + n,
        "updated_at": now,
        "last_message_at": now,
    }
    if model:
        values["last_model"] = model
    stmt = update(Thread).where(Thread.id == thread.id).values(**values).returning(Thread.last_seq)
    last = (await session.execute(stmt)).scalar_one()
    first = last - n + 1
    rows = [
        {
            "id": m.id,
            "thread_id": thread.id,
            "developer_id": thread.developer_id,
            "seq": first + i,
            "role": m.role,
            "name": m.name,
            "content": m.content,
            "tool_calls": m.tool_calls,
            "tool_call_id": m.tool_call_id,
            "model": m.model,
            "created_at": now,
        }
        for i, m in enumerate(messages)
    ]
    await session.execute(insert(ThreadMessage), rows)
    return [MessageRecord(**{k: v for k, v in r.items() if k != "developer_id"}) for r in rows]


_MESSAGE_COLUMNS = (
    ThreadMessage.id,
    ThreadMessage.thread_id,
    ThreadMessage.seq,
    ThreadMessage.role,
    ThreadMessage.name,
    ThreadMessage.content,
    ThreadMessage.tool_calls,
    ThreadMessage.tool_call_id,
    ThreadMessage.model,
    ThreadMessage.created_at,
)


async def recent_messages(
    session: AsyncSession, thread_id: str, *, after_seq: int, ranges: Ranges | None, limit: int
) -> list[MessageRecord]:
    """The newest ``limit`` messages after ``after_seq`` that the viewer saw, oldest first."""
    stmt = (
        select(*_MESSAGE_COLUMNS)
        .where(ThreadMessage.thread_id == thread_id, ThreadMessage.seq > after_seq, visible(ranges))
        .order_by(ThreadMessage.seq.desc())
        .limit(limit)
    )
    rows = [message_record(r) for r in (await session.execute(stmt)).all()]
    rows.reverse()
    return rows


async def oldest_messages(
    session: AsyncSession, thread_id: str, *, after_seq: int, ranges: Ranges | None, limit: int
) -> list[MessageRecord]:
    stmt = (
        select(*_MESSAGE_COLUMNS)
        .where(ThreadMessage.thread_id == thread_id, ThreadMessage.seq > after_seq, visible(ranges))
        .order_by(ThreadMessage.seq)
        .limit(limit)
    )
    return [message_record(r) for r in (await session.execute(stmt)).all()]


async def count_after(session: AsyncSession, thread_id: str, after_seq: int, ranges: Ranges | None) -> int:
    stmt = select(func.count()).where(
        ThreadMessage.thread_id == thread_id, ThreadMessage.seq > after_seq, visible(ranges)
    )
    return int((await session.execute(stmt)).scalar_one())


async def last_spoken(session: AsyncSession, thread_id: str) -> dict[str, int]:
    """The sequence number of each speaker's last line."""
    stmt = (
        select(ThreadMessage.name, func.max(ThreadMessage.seq))
        .where(ThreadMessage.thread_id == thread_id, ThreadMessage.role == "assistant")
        .group_by(ThreadMessage.name)
    )
    return {name: seq for name, seq in (await session.execute(stmt)).all() if name}


async def message_seq(session: AsyncSession, thread_id: str, message_id: str) -> int | None:
    stmt = select(ThreadMessage.seq).where(
        ThreadMessage.thread_id == thread_id, ThreadMessage.id == message_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def messages_page(
    session: AsyncSession,
    thread_id: str,
    *,
    limit: int,
    descending: bool,
    after_seq: int | None = None,
    before_seq: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    ranges: Ranges | None = None,
) -> list[MessageRecord]:
    stmt = select(*_MESSAGE_COLUMNS).where(ThreadMessage.thread_id == thread_id, visible(ranges))
    if after_seq is not None:
        stmt = stmt.where(ThreadMessage.seq > after_seq)
    if before_seq is not None:
        stmt = stmt.where(ThreadMessage.seq < before_seq)
    if since is not None:
        stmt = stmt.where(ThreadMessage.created_at >= since)
    if until is not None:
        stmt = stmt.where(ThreadMessage.created_at < until)
    order = ThreadMessage.seq.desc() if descending else ThreadMessage.seq
    stmt = stmt.order_by(order).limit(limit)
    return [message_record(r) for r in (await session.execute(stmt)).all()]
