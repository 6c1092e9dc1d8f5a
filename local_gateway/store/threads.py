"""Queries on threads, their messages, summaries, recall memories and first interactions.

Every function takes the developer id (or a thread already checked against it): a thread of
another developer is simply not found.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from local_gateway.store.tables import Event
from local_gateway.store.thread_records import (
    MemoryRow,
    MessageRecord,
    NewMemory,
    NewMessage,
    SummaryRecord,
    ThreadRecord,
)
from local_gateway.store.thread_tables import (
    NpcInteraction,
    Thread,
    ThreadMemory,
    ThreadMessage,
    ThreadSummary,
)

Ranges = Sequence[tuple[int, int | None]]


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
    )


def _message(row: Any) -> MessageRecord:
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


def _visible(ranges: Ranges | None, column: Any = ThreadMessage.seq) -> Any:
    if not ranges:
        return text("1=1") if ranges is None else text("1=0")
    parts = [column >= lo if hi is None else and_(column >= lo, column <= hi) for lo, hi in ranges]
    return or_(*parts)


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
    player = Thread.player_id.is_(None) if player_id is None else Thread.player_id == player_id
    stmt = (
        select(Thread)
        .where(Thread.developer_id == developer_id, Thread.npc_id == npc_id, player, Thread.kind == "single")
        .order_by(Thread.created_at.desc(), Thread.id.desc())
        .limit(1)
    )
    row = (await session.execute(stmt)).scalar_one_or_none()
    return _thread(row) if row else None


async def lock_key(session: AsyncSession, key: str) -> None:
    """Serialise find-or-create of one key across processes (PostgreSQL; SQLite writes are serial)."""
    if session.bind.dialect.name == "postgresql":
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
    stmt = select(Thread).where(Thread.developer_id == developer_id)
    if npc_id is not None:
        stmt = stmt.where(Thread.npc_id == npc_id)
    if player_id is not None:
        stmt = stmt.where(Thread.player_id == player_id)
    if before is not None:
        at, tid = before
        stmt = stmt.where(or_(Thread.created_at < at, and_(Thread.created_at == at, Thread.id < tid)))
    stmt = stmt.order_by(Thread.created_at.desc(), Thread.id.desc()).limit(limit)
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
    stmt = select(Thread).where(Thread.developer_id == developer_id)
    if npc_id is not None:
        stmt = stmt.where(or_(Thread.npc_id == npc_id, Thread.kind == "group"))
    if player_id is not None:
        stmt = stmt.where(Thread.player_id == player_id)
    if thread_ids is not None:
        stmt = stmt.where(Thread.id.in_(list(thread_ids)))
    if after is not None:
        stmt = stmt.where(Thread.id > after)
    stmt = stmt.order_by(Thread.id).limit(limit)
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
        await session.execute(delete(table).where(table.thread_id == thread_id))
    await session.delete(row)
    return True


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
        .where(ThreadMessage.thread_id == thread_id, ThreadMessage.seq > after_seq, _visible(ranges))
        .order_by(ThreadMessage.seq.desc())
        .limit(limit)
    )
    rows = [_message(r) for r in (await session.execute(stmt)).all()]
    rows.reverse()
    return rows


async def oldest_messages(
    session: AsyncSession, thread_id: str, *, after_seq: int, ranges: Ranges | None, limit: int
) -> list[MessageRecord]:
    stmt = (
        select(*_MESSAGE_COLUMNS)
        .where(ThreadMessage.thread_id == thread_id, ThreadMessage.seq > after_seq, _visible(ranges))
        .order_by(ThreadMessage.seq)
        .limit(limit)
    )
    return [_message(r) for r in (await session.execute(stmt)).all()]


async def count_after(session: AsyncSession, thread_id: str, after_seq: int, ranges: Ranges | None) -> int:
    stmt = select(func.count()).where(
        ThreadMessage.thread_id == thread_id, ThreadMessage.seq > after_seq, _visible(ranges)
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
    stmt = select(*_MESSAGE_COLUMNS).where(ThreadMessage.thread_id == thread_id, _visible(ranges))
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
    return [_message(r) for r in (await session.execute(stmt)).all()]


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
        stmt = _insert_ignore(session, ThreadSummary).values(
            thread_id=thread_id,
            viewer=viewer,
            developer_id=developer_id,
            text=text_,
            upto_seq=upto_seq,
            updated_at=now,
        )
        return bool((await session.execute(stmt)).rowcount)
    stmt = (
        update(ThreadSummary)
        .where(
            ThreadSummary.thread_id == thread_id,
            ThreadSummary.viewer == viewer,
            ThreadSummary.upto_seq == expected_upto,
        )
        .values(text=text_, upto_seq=upto_seq, updated_at=now)
    )
    return bool((await session.execute(stmt)).rowcount)


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
            ThreadMemory.id,
            ThreadMemory.kind,
            ThreadMemory.seq_from,
            ThreadMemory.seq_to,
            ThreadMemory.importance,
            ThreadMemory.vector,
        )
        .where(ThreadMemory.thread_id == thread_id, ThreadMemory.id > after_id)
        .order_by(ThreadMemory.id)
    )
    return [MemoryRow(*r) for r in (await session.execute(stmt)).all()]


async def memory_texts(session: AsyncSession, thread_id: str, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    stmt = select(ThreadMemory.id, ThreadMemory.text).where(
        ThreadMemory.thread_id == thread_id, ThreadMemory.id.in_(list(ids))
    )
    return {i: t for i, t in (await session.execute(stmt)).all()}


async def memory_count(session: AsyncSession, thread_id: str) -> int:
    stmt = select(func.count()).where(ThreadMemory.thread_id == thread_id)
    return int((await session.execute(stmt)).scalar_one())


# --- first interactions and events ---------------------------------------------------------------


def _insert_ignore(session: AsyncSession, table: Any) -> Any:
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


async def record_interaction(
    session: AsyncSession, developer_id: str, npc_id: str, player_id: str, thread_id: str, now: datetime
) -> bool:
    """True when this is the first time ``player_id`` and ``npc_id`` met."""
    stmt = _insert_ignore(session, NpcInteraction).values(
        developer_id=developer_id, npc_id=npc_id, player_id=player_id, thread_id=thread_id, first_at=now
    )
    return bool((await session.execute(stmt)).rowcount)


async def insert_events(session: AsyncSession, developer_id: str, events: Sequence[dict[str, Any]]) -> None:
    if events:
        await session.execute(insert(Event), [dict(e, developer_id=developer_id) for e in events])


async def events_of(
    session: AsyncSession, developer_id: str, types: Sequence[str] | None = None, limit: int = 1000
) -> list[dict[str, Any]]:
    stmt = select(Event).where(Event.developer_id == developer_id)
    if types:
        stmt = stmt.where(Event.type.in_(list(types)))
    stmt = stmt.order_by(Event.created_at, Event.id).limit(limit)
    return [
        {"id": e.id, "type": e.type, "data": e.data, "created_at": e.created_at}
        for e in (await session.execute(stmt)).scalars()
    ]
