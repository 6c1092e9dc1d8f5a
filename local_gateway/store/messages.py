"""Queries on the messages of a thread: appending, pages, and what a viewer may see."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

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


def visible(ranges: Ranges | None, column: Any = col(ThreadMessage.seq)) -> Any:
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
        "last_seq": col(Thread.last_seq) + n,
        "message_count": col(Thread.message_count) + n,
        "updated_at": now,
        "last_message_at": now,
    }
    if model:
        values["last_model"] = model
    stmt = update(Thread).where(col(Thread.id) == thread.id).values(**values).returning(col(Thread.last_seq))
    last = (await session.execute(stmt)).scalar_one()
    first = last - n + 1
    records = [
        MessageRecord(
            m.id, thread.id, first + i, m.role, m.name, m.content, m.tool_calls, m.tool_call_id, m.model, now
        )
        for i, m in enumerate(messages)
    ]
    rows = [{**vars(r), "developer_id": thread.developer_id} for r in records]
    await session.execute(insert(ThreadMessage), rows)
    return records


_MESSAGE_COLUMNS = (
    col(ThreadMessage.id),
    col(ThreadMessage.thread_id),
    col(ThreadMessage.seq),
    col(ThreadMessage.role),
    col(ThreadMessage.name),
    col(ThreadMessage.content),
    col(ThreadMessage.tool_calls),
    col(ThreadMessage.tool_call_id),
    col(ThreadMessage.model),
    col(ThreadMessage.created_at),
)


async def recent_messages(
    session: AsyncSession, thread_id: str, *, after_seq: int, ranges: Ranges | None, limit: int
) -> list[MessageRecord]:
    """The newest ``limit`` messages after ``after_seq`` that the viewer saw, oldest first."""
    stmt = (
        select(*_MESSAGE_COLUMNS)
        .where(col(ThreadMessage.thread_id) == thread_id, col(ThreadMessage.seq) > after_seq, visible(ranges))
        .order_by(col(ThreadMessage.seq).desc())
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
        .where(col(ThreadMessage.thread_id) == thread_id, col(ThreadMessage.seq) > after_seq, visible(ranges))
        .order_by(col(ThreadMessage.seq))
        .limit(limit)
    )
    return [message_record(r) for r in (await session.execute(stmt)).all()]


async def count_after(session: AsyncSession, thread_id: str, after_seq: int, ranges: Ranges | None) -> int:
    stmt = select(func.count()).where(
        col(ThreadMessage.thread_id) == thread_id, col(ThreadMessage.seq) > after_seq, visible(ranges)
    )
    return int((await session.execute(stmt)).scalar_one())


async def last_spoken(session: AsyncSession, thread_id: str) -> dict[str, int]:
    """The sequence number of each speaker's last line."""
    stmt = (
        select(col(ThreadMessage.name), func.max(col(ThreadMessage.seq)))
        .where(col(ThreadMessage.thread_id) == thread_id, col(ThreadMessage.role) == "assistant")
        .group_by(col(ThreadMessage.name))
    )
    return {name: seq for name, seq in (await session.execute(stmt)).all() if name}


async def message_seq(session: AsyncSession, thread_id: str, message_id: str) -> int | None:
    stmt = select(col(ThreadMessage.seq)).where(
        col(ThreadMessage.thread_id) == thread_id, col(ThreadMessage.id) == message_id
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
    stmt = select(*_MESSAGE_COLUMNS).where(col(ThreadMessage.thread_id) == thread_id, visible(ranges))
    if after_seq is not None:
        stmt = stmt.where(col(ThreadMessage.seq) > after_seq)
    if before_seq is not None:
        stmt = stmt.where(col(ThreadMessage.seq) < before_seq)
    if since is not None:
        stmt = stmt.where(col(ThreadMessage.created_at) >= since)
    if until is not None:
        stmt = stmt.where(col(ThreadMessage.created_at) < until)
    order = col(ThreadMessage.seq).desc() if descending else col(ThreadMessage.seq)
    stmt = stmt.order_by(order).limit(limit)
    return [message_record(r) for r in (await session.execute(stmt)).all()]
