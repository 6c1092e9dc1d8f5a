"""Webhook endpoints: rows of one developer, converted to :class:`EndpointRecord` at the edge.

Deliveries and attempts are :mod:`local_gateway.store.webhook_deliveries`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from local_gateway.store.webhook_tables import WebhookAttempt, WebhookDelivery, WebhookEndpoint

ep = WebhookEndpoint.metadata.tables["webhook_endpoints"].c
dl = WebhookDelivery.metadata.tables["webhook_deliveries"].c
at = WebhookAttempt.metadata.tables["webhook_attempts"].c


@dataclass(frozen=True)
class EndpointRecord:
    id: str
    developer_id: str
    url: str
    events: list[str]
    description: str
    environment: str
    secret: str
    previous_secret: str | None
    previous_secret_expires_at: datetime | None
    status: str
    disabled_reason: str | None
    disabled_at: datetime | None
    failing_since: datetime | None
    created_at: datetime
    updated_at: datetime

    def signing_secrets(self, now: datetime) -> list[str]:
        """The secrets a delivery is signed with now: the current one, and the previous one for
        as long as a rotation keeps it valid."""
        expires = self.previous_secret_expires_at
        if self.previous_secret and expires is not None and expires > now:
            return [self.secret, self.previous_secret]
        return [self.secret]

    def wants(self, event_type: str) -> bool:
        return "*" in self.events or event_type in self.events


_ENDPOINT_COLUMNS = [ep[f] for f in EndpointRecord.__dataclass_fields__]


def _endpoints(rows: Any) -> list[EndpointRecord]:
    names = list(EndpointRecord.__dataclass_fields__)
    records = []
    for row in rows:
        values = dict(zip(names, row, strict=True))
        values["events"] = list(values["events"])
        records.append(EndpointRecord(**values))
    return records


async def insert_endpoint(session: AsyncSession, **values: Any) -> EndpointRecord:
    stmt = WebhookEndpoint.metadata.tables["webhook_endpoints"].insert().values(**values)
    await session.execute(stmt)
    found = await get_endpoint(session, values["developer_id"], values["id"])
    assert found is not None
    return found


async def get_endpoint(session: AsyncSession, developer_id: str, webhook_id: str) -> EndpointRecord | None:
    stmt = select(*_ENDPOINT_COLUMNS).where(ep.id == webhook_id, ep.developer_id == developer_id)
    rows = _endpoints(await session.execute(stmt))
    return rows[0] if rows else None


async def get_endpoint_by_id(session: AsyncSession, webhook_id: str) -> EndpointRecord | None:
    """An endpoint whoever owns it (the deliverer, which holds a delivery of that owner)."""
    rows = _endpoints(await session.execute(select(*_ENDPOINT_COLUMNS).where(ep.id == webhook_id)))
    return rows[0] if rows else None


async def list_endpoints(session: AsyncSession, developer_id: str) -> list[EndpointRecord]:
    stmt = select(*_ENDPOINT_COLUMNS).where(ep.developer_id == developer_id).order_by(ep.created_at, ep.id)
    return _endpoints(await session.execute(stmt))


async def count_endpoints(session: AsyncSession, developer_id: str) -> int:
    stmt = select(func.count()).select_from(WebhookEndpoint).where(ep.developer_id == developer_id)
    return int((await session.execute(stmt)).scalar_one())


async def enabled_endpoints(session: AsyncSession, developer_ids: Sequence[str]) -> list[EndpointRecord]:
    stmt = select(*_ENDPOINT_COLUMNS).where(ep.developer_id.in_(list(developer_ids)), ep.status == "enabled")
    return _endpoints(await session.execute(stmt.order_by(ep.created_at, ep.id)))


async def update_endpoint(
    session: AsyncSession, developer_id: str, webhook_id: str, **values: Any
) -> EndpointRecord | None:
    stmt = update(WebhookEndpoint).where(ep.id == webhook_id, ep.developer_id == developer_id)
    await session.execute(stmt.values(**values))
    return await get_endpoint(session, developer_id, webhook_id)


async def delete_endpoint(session: AsyncSession, developer_id: str, webhook_id: str) -> bool:
    """Remove the endpoint with its deliveries and their attempts; pending delivery jobs find
    nothing left to send."""
    owned = select(dl.id).where(dl.webhook_id == webhook_id, dl.developer_id == developer_id)
    await session.execute(delete(WebhookAttempt).where(at.delivery_id.in_(owned)))
    await session.execute(
        delete(WebhookDelivery).where(dl.webhook_id == webhook_id, dl.developer_id == developer_id)
    )
    result = await session.execute(
        delete(WebhookEndpoint).where(ep.id == webhook_id, ep.developer_id == developer_id)
    )
    return bool(getattr(result, "rowcount", 0))


async def note_success(session: AsyncSession, webhook_id: str) -> None:
    stmt = update(WebhookEndpoint).where(ep.id == webhook_id, ep.failing_since.is_not(None))
    await session.execute(stmt.values(failing_since=None))


async def note_failure(session: AsyncSession, webhook_id: str, now: datetime) -> datetime:
    """Start the endpoint's failing period if it is not failing yet; returns its start."""
    stmt = update(WebhookEndpoint).where(ep.id == webhook_id, ep.failing_since.is_(None))
    await session.execute(stmt.values(failing_since=now))
    since = (await session.execute(select(ep.failing_since).where(ep.id == webhook_id))).scalar_one_or_none()
    return since or now


async def disable_endpoint(session: AsyncSession, webhook_id: str, reason: str, now: datetime) -> None:
    stmt = update(WebhookEndpoint).where(ep.id == webhook_id, ep.status == "enabled")
    await session.execute(
        stmt.values(status="disabled", disabled_reason=reason, disabled_at=now, updated_at=now)
    )
