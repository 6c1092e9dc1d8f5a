"""Webhook deliveries and their attempts, and the dispatch step that creates them from the outbox.

:func:`dispatch` takes undispatched events (``events.dispatched_at IS NULL``), marks them and
creates one delivery per subscribed endpoint, in one transaction. Dispatchers of several
processes take turns (PostgreSQL: a transaction-level advisory lock; SQLite: its single writer),
so a thread's event ``n+1`` is never dispatched by one process while another still holds ``n``.

A delivery in a lane waits while an earlier delivery of the same lane is pending
(:func:`blocker`). On PostgreSQL that check locks the blocking row, so it cannot interleave with
the transaction that finishes the blocker and looks for the lane's next delivery
(:func:`next_in_lane`): one of the two always sees the other's commit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from local_gateway.store.tables import Event
from local_gateway.store.webhook_tables import WebhookAttempt, WebhookDelivery
from local_gateway.store.webhooks import EndpointRecord, at, dl, enabled_endpoints

ev = Event.metadata.tables["events"].c
# Any constant will do, as long as nothing else in the database takes this advisory lock.
_DISPATCH_LOCK = 0x6D67_7768  # "mgwh"


@dataclass(frozen=True)
class DeliveryRecord:
    id: str
    developer_id: str
    webhook_id: str
    event_id: str
    event_type: str
    thread_id: str | None
    lane: str | None
    seq: int | None
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    payload: dict[str, Any] | None
    redelivery_of: str | None
    created_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True)
class AttemptRecord:
    delivery_id: str
    attempt: int
    started_at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None
    response_excerpt: str | None


@dataclass(frozen=True)
class OutboxEvent:
    id: str
    type: str
    data: dict[str, Any]
    created_at: datetime


_COLUMNS = [dl[f] for f in DeliveryRecord.__dataclass_fields__]
_ATTEMPT_COLUMNS = [at[f] for f in AttemptRecord.__dataclass_fields__]


def _deliveries(rows: Any) -> list[DeliveryRecord]:
    return [DeliveryRecord(*row) for row in rows]


async def has_undispatched(session: AsyncSession) -> bool:
    stmt = select(ev.id).where(ev.dispatched_at.is_(None)).limit(1)
    return (await session.execute(stmt)).first() is not None


async def dispatch(
    session: AsyncSession, *, now: datetime, new_id: Callable[[str], str], limit: int = 200
) -> tuple[int, list[DeliveryRecord]]:
    """Turn up to ``limit`` undispatched events into deliveries; returns how many events were
    taken and the deliveries made."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _DISPATCH_LOCK})
    stmt = (
        select(ev.id, ev.developer_id, ev.type, ev.created_at, ev.thread_id, ev.seq)
        .where(ev.dispatched_at.is_(None))
        .order_by(ev.created_at, ev.id)
        .limit(limit)
    )
    events = list(await session.execute(stmt))
    if not events:
        return 0, []
    await session.execute(update(Event).where(ev.id.in_([e.id for e in events])).values(dispatched_at=now))
    by_developer: dict[str, list[EndpointRecord]] = {}
    for endpoint in await enabled_endpoints(session, sorted({e.developer_id for e in events})):
        by_developer.setdefault(endpoint.developer_id, []).append(endpoint)
    rows = []
    for e in events:
        for endpoint in by_developer.get(e.developer_id, ()):
            # An endpoint is owed what happened once it existed, not the history before it.
            if endpoint.wants(e.type) and e.created_at >= endpoint.created_at:
                rows.append(
                    dict(
                        id=new_id("dlv"), developer_id=e.developer_id, webhook_id=endpoint.id,
                        event_id=e.id, event_type=e.type, thread_id=e.thread_id, lane=e.thread_id,
                        seq=e.seq, status="pending", attempts=0, next_attempt_at=now, created_at=now,
                    )
                )  # fmt: skip
    if rows:
        await session.execute(insert(WebhookDelivery), rows)
    return len(events), await get_many(session, [r["id"] for r in rows])


async def insert_delivery(session: AsyncSession, **values: Any) -> DeliveryRecord:
    await session.execute(insert(WebhookDelivery).values(**values))
    [record] = await get_many(session, [values["id"]])
    return record


async def get_many(session: AsyncSession, ids: Sequence[str]) -> list[DeliveryRecord]:
    if not ids:
        return []
    rows = _deliveries(await session.execute(select(*_COLUMNS).where(dl.id.in_(list(ids)))))
    order = {i: n for n, i in enumerate(ids)}
    return sorted(rows, key=lambda d: order[d.id])


async def get(
    session: AsyncSession, delivery_id: str, developer_id: str | None = None
) -> DeliveryRecord | None:
    stmt = select(*_COLUMNS).where(dl.id == delivery_id)
    if developer_id is not None:
        stmt = stmt.where(dl.developer_id == developer_id)
    rows = _deliveries(await session.execute(stmt))
    return rows[0] if rows else None


async def list_deliveries(
    session: AsyncSession,
    developer_id: str,
    *,
    status: str | None = None,
    webhook_id: str | None = None,
    thread_id: str | None = None,
    before: DeliveryRecord | None = None,
    limit: int = 50,
) -> list[DeliveryRecord]:
    """Newest first; ``before`` is the last delivery of the previous page."""
    stmt = select(*_COLUMNS).where(dl.developer_id == developer_id)
    if status:
        stmt = stmt.where(dl.status == status)
    if webhook_id:
        stmt = stmt.where(dl.webhook_id == webhook_id)
    if thread_id:
        stmt = stmt.where(dl.thread_id == thread_id)
    if before is not None:
        stmt = stmt.where(
            or_(
                dl.created_at < before.created_at, and_(dl.created_at == before.created_at, dl.id < before.id)
            )
        )
    stmt = stmt.order_by(dl.created_at.desc(), dl.id.desc()).limit(limit)
    return _deliveries(await session.execute(stmt))


async def attempts_of(session: AsyncSession, delivery_ids: Sequence[str]) -> dict[str, list[AttemptRecord]]:
    out: dict[str, list[AttemptRecord]] = {i: [] for i in delivery_ids}
    if not delivery_ids:
        return out
    stmt = select(*_ATTEMPT_COLUMNS).where(at.delivery_id.in_(list(delivery_ids))).order_by(at.attempt)
    for row in await session.execute(stmt):
        out[row.delivery_id].append(AttemptRecord(*row))
    return out


async def event(session: AsyncSession, event_id: str) -> OutboxEvent | None:
    stmt = select(ev.id, ev.type, ev.data, ev.created_at).where(ev.id == event_id)
    row = (await session.execute(stmt)).first()
    return OutboxEvent(row.id, row.type, dict(row.data), row.created_at) if row else None


async def blocker(session: AsyncSession, delivery: DeliveryRecord) -> str | None:
    """The id of an earlier pending delivery of the same lane, if there is one."""
    if delivery.lane is None or delivery.seq is None:
        return None
    stmt = (
        select(dl.id)
        .where(
            dl.webhook_id == delivery.webhook_id,
            dl.lane == delivery.lane,
            dl.status == "pending",
            dl.seq < delivery.seq,
        )
        .order_by(dl.seq)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def next_in_lane(session: AsyncSession, delivery: DeliveryRecord) -> DeliveryRecord | None:
    if delivery.lane is None or delivery.seq is None:
        return None
    stmt = (
        select(*_COLUMNS)
        .where(
            dl.webhook_id == delivery.webhook_id,
            dl.lane == delivery.lane,
            dl.status == "pending",
            dl.seq > delivery.seq,
        )
        .order_by(dl.seq)
        .limit(1)
    )
    rows = _deliveries(await session.execute(stmt))
    return rows[0] if rows else None


async def record_attempt(
    session: AsyncSession,
    delivery: DeliveryRecord,
    attempt: AttemptRecord,
    *,
    status: str,
    next_attempt_at: datetime | None,
    now: datetime,
) -> bool:
    """Store attempt number ``attempt.attempt`` and the delivery's new state, unless another
    worker recorded that attempt already (a lease taken over): then nothing changes."""
    values: dict[str, Any] = dict(
        attempts=attempt.attempt,
        status=status,
        next_attempt_at=next_attempt_at,
        last_status_code=attempt.status_code,
        last_error=attempt.error,
    )
    if status != "pending":
        values["finished_at"] = now
    stmt = update(WebhookDelivery).where(
        dl.id == delivery.id, dl.status == "pending", dl.attempts == attempt.attempt - 1
    )
    result = await session.execute(stmt.values(**values))
    if not getattr(result, "rowcount", 0):
        return False
    await session.execute(insert(WebhookAttempt).values(**attempt.__dict__))
    return True


async def give_up(session: AsyncSession, delivery: DeliveryRecord, error: str, *, now: datetime) -> bool:
    """End a pending delivery without an attempt (its endpoint is disabled)."""
    stmt = update(WebhookDelivery).where(dl.id == delivery.id, dl.status == "pending")
    result = await session.execute(
        stmt.values(status="failed", last_error=error, next_attempt_at=None, finished_at=now)
    )
    return bool(getattr(result, "rowcount", 0))
