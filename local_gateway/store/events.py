"""The outbox: every event a webhook will announce, and the only module that writes one.

Callers hand :func:`append` (or :func:`append_sync`, on a synchronous batch connection) the
events of a change inside the transaction that makes the change, so an event exists exactly
when its change committed.

Events of a thread get the thread's next sequence numbers in the same transaction: 1, 2, 3, …
per thread, unique, with no gaps, in commit order. The counter is a row of
``event_sequences`` bumped with ``INSERT … ON CONFLICT DO UPDATE … RETURNING``: on PostgreSQL
a second process writing to the same thread waits on that row's lock until the first commits
(or rolls back, and then takes the same numbers), so two processes never interleave or skip;
SQLite writes are serial already. A batch that touches several threads bumps them in thread-id
order, so two batches cannot wait on each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import col

from local_gateway.store.tables import Event, EventSequence


@dataclass(frozen=True)
class NewEvent:
    """One event to record: ``id`` is ``evt_…``; ``thread_id`` puts it in that thread's sequence."""

    id: str
    type: str
    data: dict[str, Any]
    created_at: datetime
    thread_id: str | None = None


async def append(session: AsyncSession, developer_id: str, events: Sequence[NewEvent]) -> None:
    """Record ``events`` of ``developer_id`` in the session's transaction."""
    if events:
        await session.run_sync(lambda sync: _append(sync, developer_id, events))


def append_sync(conn: Connection, developer_id: str, events: Sequence[NewEvent]) -> None:
    """:func:`append` on a synchronous connection (the request-log batch)."""
    if events:
        _append(conn, developer_id, events)


def _append(conn: Connection | Session, developer_id: str, events: Sequence[NewEvent]) -> None:
    seqs: dict[int, int] = {}
    per_thread: dict[str, list[int]] = {}
    for i, e in enumerate(events):
        if e.thread_id is not None:
            per_thread.setdefault(e.thread_id, []).append(i)
    bind = conn if isinstance(conn, Connection) else conn.get_bind()
    dialect = postgresql if bind.dialect.name == "postgresql" else sqlite
    for thread_id in sorted(per_thread):
        positions = per_thread[thread_id]
        n = len(positions)
        bump = (
            dialect.insert(EventSequence)
            .values(thread_id=thread_id, last_seq=n)
            .on_conflict_do_update(
                index_elements=["thread_id"], set_={"last_seq": col(EventSequence.last_seq) + n}
            )
            .returning(col(EventSequence.last_seq))
        )
        last = int(conn.execute(bump).scalar_one())
        for offset, i in enumerate(positions):
            seqs[i] = last - n + 1 + offset
    rows = [
        {
            "id": e.id,
            "developer_id": developer_id,
            "type": e.type,
            "data": e.data,
            "created_at": e.created_at,
            "thread_id": e.thread_id,
            "seq": seqs.get(i),
        }
        for i, e in enumerate(events)
    ]
    conn.execute(insert(Event), rows)


def _record(e: Event) -> dict[str, Any]:
    return {
        "id": e.id,
        "type": e.type,
        "data": e.data,
        "created_at": e.created_at,
        "thread_id": e.thread_id,
        "seq": e.seq,
    }


async def events_of(
    session: AsyncSession, developer_id: str, types: Sequence[str] | None = None, limit: int = 1000
) -> list[dict[str, Any]]:
    stmt = select(Event).where(col(Event.developer_id) == developer_id)
    if types:
        stmt = stmt.where(col(Event.type).in_(list(types)))
    stmt = stmt.order_by(col(Event.created_at), col(Event.id)).limit(limit)
    return [_record(e) for e in (await session.execute(stmt)).scalars()]


async def thread_events(
    session: AsyncSession, developer_id: str, thread_id: str, after_seq: int = 0, limit: int = 1000
) -> list[dict[str, Any]]:
    """A thread's events in sequence order after ``after_seq`` (how a deliverer reads them)."""
    stmt = (
        select(Event)
        .where(
            col(Event.developer_id) == developer_id,
            col(Event.thread_id) == thread_id,
            col(Event.seq) > after_seq,
        )
        .order_by(col(Event.seq))
        .limit(limit)
    )
    return [_record(e) for e in (await session.execute(stmt)).scalars()]
