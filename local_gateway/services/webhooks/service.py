"""Webhook endpoints and their deliveries, as a developer manages them through the API.

Every method takes the caller's developer id: another developer's endpoint or delivery is not
found (404), never forbidden. The signing secret is returned by :meth:`WebhookService.create`
and :meth:`WebhookService.rotate` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from local_gateway.providers import webhook_http
from local_gateway.services.accounts.keys import Principal
from local_gateway.services.core.clock import Clock
from local_gateway.services.core.ids import new_id
from local_gateway.services.webhooks.delivery import Deliverer, Dispatcher
from local_gateway.services.webhooks.events import PING
from local_gateway.services.webhooks.params import EndpointSpec
from local_gateway.store import webhook_deliveries as ds
from local_gateway.store import webhooks as ws
from local_gateway.store.db import Database
from local_gateway.store.webhook_deliveries import AttemptRecord, DeliveryRecord
from local_gateway.store.webhooks import EndpointRecord
from mg.errors import ConflictError, InvalidRequestError, NotFoundError
from mg.times import format_time
from mg.webhooks import new_secret

ENDPOINT_LIMIT = 20
ROTATION_GRACE = timedelta(hours=24)


@dataclass(frozen=True)
class DeliveryView:
    delivery: DeliveryRecord
    attempts: list[AttemptRecord]


class WebhookService:
    def __init__(self, db: Database, clock: Clock, deliverer: Deliverer, dispatcher: Dispatcher) -> None:
        self.db = db
        self.clock = clock
        self.deliverer = deliverer
        self.dispatcher = dispatcher

    # -- endpoints -----------------------------------------------------------------------------

    async def _check_url(self, url: str, environment: str) -> None:
        """Registration-time SSRF rules; delivery checks again after resolving (DNS can change)."""
        if environment == "test" or self.deliverer.private_urls:
            return
        if urlsplit(url).scheme != "https":
            raise InvalidRequestError(
                f"A live key's webhook URL must be https, got {url[:100]!r}.",
                remediation="Serve the receiver over TLS, or register it with a mg_test_ key to develop.",
            )
        try:
            await webhook_http.checked_addresses(url, self.deliverer.resolve)
        except webhook_http.Refused as exc:
            raise InvalidRequestError(
                f"Webhook URL refused: {exc}.",
                remediation="Live webhooks reach public addresses only; use a mg_test_ key locally.",
            ) from None

    async def create(self, principal: Principal, spec: EndpointSpec) -> EndpointRecord:
        assert spec.url is not None and spec.events is not None
        environment = principal.key.environment
        await self._check_url(spec.url, environment)
        now = self.clock.now()
        async with self.db.write() as session:
            if await ws.count_endpoints(session, principal.developer_id) >= ENDPOINT_LIMIT:
                raise InvalidRequestError(
                    f"An account has at most {ENDPOINT_LIMIT} webhook endpoints.",
                    remediation="Delete one you no longer use (mg webhooks rm ID).",
                )
            return await ws.insert_endpoint(
                session, id=new_id("whk"), developer_id=principal.developer_id, url=spec.url,
                events=spec.events, description=spec.description or "", environment=environment,
                secret=new_secret(), status="enabled", created_at=now, updated_at=now,
            )  # fmt: skip

    async def list_endpoints(self, developer_id: str) -> list[EndpointRecord]:
        async with self.db.read() as session:
            return await ws.list_endpoints(session, developer_id)

    async def get(self, developer_id: str, webhook_id: str) -> EndpointRecord:
        async with self.db.read() as session:
            found = await ws.get_endpoint(session, developer_id, webhook_id)
        if found is None:
            raise NotFoundError(
                f"No webhook {webhook_id[:60]!r}.", remediation="List yours with GET /v1/webhooks."
            )
        return found

    async def update(self, principal: Principal, webhook_id: str, spec: EndpointSpec) -> EndpointRecord:
        current = await self.get(principal.developer_id, webhook_id)
        if spec.url is not None:
            await self._check_url(spec.url, current.environment)
        now = self.clock.now()
        values: dict[str, Any] = {"updated_at": now}
        if spec.url is not None:
            values["url"] = spec.url
        if spec.events is not None:
            values["events"] = spec.events
        if spec.description is not None:
            values["description"] = spec.description
        if spec.enabled is True:
            values.update(status="enabled", disabled_reason=None, disabled_at=None, failing_since=None)
        elif spec.enabled is False:
            values.update(status="disabled", disabled_reason="disabled by its owner", disabled_at=now)
        async with self.db.write() as session:
            found = await ws.update_endpoint(session, principal.developer_id, webhook_id, **values)
        if found is None:
            raise NotFoundError(f"No webhook {webhook_id[:60]!r}.")
        return found

    async def delete(self, developer_id: str, webhook_id: str) -> None:
        async with self.db.write() as session:
            if not await ws.delete_endpoint(session, developer_id, webhook_id):
                raise NotFoundError(f"No webhook {webhook_id[:60]!r}.")

    async def rotate(self, developer_id: str, webhook_id: str) -> EndpointRecord:
        """A new secret; the current one keeps signing (beside it) for :data:`ROTATION_GRACE`."""
        now = self.clock.now()
        async with self.db.write() as session:
            current = await ws.get_endpoint(session, developer_id, webhook_id)
            if current is None:
                raise NotFoundError(f"No webhook {webhook_id[:60]!r}.")
            return await ws.update_endpoint(
                session, developer_id, webhook_id, secret=new_secret(), previous_secret=current.secret,
                previous_secret_expires_at=now + ROTATION_GRACE, updated_at=now,
            ) or current  # fmt: skip

    async def ping(self, developer_id: str, webhook_id: str) -> DeliveryView:
        """Send a ``webhook.ping`` event now and answer with how it went (no retries)."""
        endpoint = await self.get(developer_id, webhook_id)
        now = self.clock.now()
        event_id = new_id("evt")
        data = {"webhook_id": endpoint.id, "message": "Ping from the mg gateway: your endpoint is reachable."}
        payload = {"id": event_id, "event": PING, "created_at": now.isoformat(), "data": data}
        async with self.db.write() as session:
            delivery = await ds.insert_delivery(
                session, id=new_id("dlv"), developer_id=developer_id, webhook_id=endpoint.id,
                event_id=event_id, event_type=PING, status="pending", attempts=0,
                next_attempt_at=now, payload=payload, created_at=now,
            )  # fmt: skip
        body = await self._ping_body(delivery)
        await self.deliverer.attempt(delivery, endpoint, body, retries=False)
        return await self.delivery(developer_id, delivery.id)

    async def _ping_body(self, delivery: DeliveryRecord) -> bytes:
        async with self.db.read() as session:
            body = await self.deliverer.body_of(session, delivery)
        assert body is not None
        return body

    # -- deliveries ----------------------------------------------------------------------------

    async def deliveries(
        self,
        developer_id: str,
        *,
        status: str | None = None,
        webhook_id: str | None = None,
        thread_id: str | None = None,
        before: str | None = None,
        limit: int = 50,
    ) -> tuple[list[DeliveryView], bool]:
        async with self.db.read() as session:
            cursor = None
            if before:
                cursor = await ds.get(session, before, developer_id)
                if cursor is None:
                    raise InvalidRequestError(f"'before' names no delivery of yours: {before[:60]!r}.")
            rows = await ds.list_deliveries(
                session, developer_id, status=status, webhook_id=webhook_id, thread_id=thread_id,
                before=cursor, limit=limit + 1,
            )  # fmt: skip
            page = rows[:limit]
            attempts = await ds.attempts_of(session, [d.id for d in page])
        return [DeliveryView(d, attempts[d.id]) for d in page], len(rows) > limit

    async def delivery(self, developer_id: str, delivery_id: str) -> DeliveryView:
        async with self.db.read() as session:
            found = await ds.get(session, delivery_id, developer_id)
            if found is None:
                raise NotFoundError(
                    f"No webhook delivery {delivery_id[:60]!r}.",
                    remediation="List them with GET /v1/webhooks/deliveries.",
                )
            attempts = await ds.attempts_of(session, [found.id])
        return DeliveryView(found, attempts[found.id])

    async def redeliver(self, developer_id: str, delivery_id: str) -> DeliveryView:
        """Send a delivery's event to its endpoint again, as a new delivery outside any lane."""
        original = (await self.delivery(developer_id, delivery_id)).delivery
        endpoint = await self.get(developer_id, original.webhook_id)
        if endpoint.status != "enabled":
            raise ConflictError(
                f"Webhook {endpoint.id} is disabled ({endpoint.disabled_reason}).",
                remediation=f'Enable it first: PATCH /v1/webhooks/{endpoint.id} with {{"enabled": true}}.',
            )
        now = self.clock.now()
        async with self.db.write() as session:
            copy = await ds.insert_delivery(
                session, id=new_id("dlv"), developer_id=developer_id, webhook_id=endpoint.id,
                event_id=original.event_id, event_type=original.event_type, thread_id=original.thread_id,
                status="pending", attempts=0, next_attempt_at=now, payload=original.payload,
                redelivery_of=original.id, created_at=now,
            )  # fmt: skip
            await self.deliverer.enqueue(session, copy)
        return DeliveryView(copy, [])


def endpoint_times(endpoint: EndpointRecord) -> dict[str, str | None]:
    def fmt(value: Any) -> str | None:
        return format_time(value) if value is not None else None

    return {
        "created_at": fmt(endpoint.created_at),
        "updated_at": fmt(endpoint.updated_at),
        "disabled_at": fmt(endpoint.disabled_at),
        "failing_since": fmt(endpoint.failing_since),
        "previous_secret_expires_at": fmt(endpoint.previous_secret_expires_at),
    }
