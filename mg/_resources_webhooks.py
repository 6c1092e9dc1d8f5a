"""The webhooks namespace (``/v1/webhooks``) for both clients: endpoints and their deliveries.

Signatures are checked with :mod:`mg.webhooks` (``verify_standard`` / ``verify_legacy``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mg._client_base import drop_none
from mg._resource_base import JSON, AsyncResource, JSONList, Resource, _seg, async_twin


class Webhooks(Resource):
    """Register endpoints (the signing secret is in the answer once), list and change them, ping,
    rotate the secret, and read or redeliver the deliveries."""

    _BASE = "/v1/webhooks"

    def create(self, *, url: str, events: Sequence[str], description: str | None = None) -> JSON:
        body = drop_none({"url": url, "events": list(events), "description": description})
        return self._send("POST", self._BASE, body)

    def list(self) -> JSONList:
        return self._list(self._BASE)

    def get(self, webhook_id: str) -> JSON:
        return self._get(f"{self._BASE}/{_seg(webhook_id)}")

    def update(self, /, webhook_id: str, **fields: Any) -> JSON:
        """``PATCH``: any of ``url``, ``events``, ``description``, ``enabled`` (true or false)."""
        return self._send("PATCH", f"{self._BASE}/{_seg(webhook_id)}", fields)

    def delete(self, webhook_id: str) -> JSON:
        return self._send("DELETE", f"{self._BASE}/{_seg(webhook_id)}")

    def ping(self, webhook_id: str) -> JSON:
        return self._send("POST", f"{self._BASE}/{_seg(webhook_id)}/ping")

    def rotate_secret(self, webhook_id: str) -> JSON:
        """A new secret (in the answer); the old one keeps signing for 24 hours."""
        return self._send("POST", f"{self._BASE}/{_seg(webhook_id)}/rotate-secret")

    def deliveries(
        self,
        *,
        webhook_id: str | None = None,
        thread_id: str | None = None,
        status: str | None = None,
        limit: int | None = None,
        before: str | None = None,
    ) -> JSONList:
        """Deliveries newest first, each with its attempt log; ``status`` is ``pending``,
        ``delivered`` or ``failed``."""
        return self._list(
            f"{self._BASE}/deliveries",
            webhook_id=webhook_id,
            thread_id=thread_id,
            status=status,
            limit=limit,
            before=before,
        )

    def delivery(self, delivery_id: str) -> JSON:
        return self._get(f"{self._BASE}/deliveries/{_seg(delivery_id)}")

    def redeliver(self, delivery_id: str) -> JSON:
        return self._send("POST", f"{self._BASE}/deliveries/{_seg(delivery_id)}/redeliver")


class AsyncWebhooks(AsyncResource):
    __doc__ = Webhooks.__doc__
    _BASE = Webhooks._BASE
    create = async_twin(Webhooks.create)
    list = async_twin(Webhooks.list)
    get = async_twin(Webhooks.get)
    update = async_twin(Webhooks.update)
    delete = async_twin(Webhooks.delete)
    ping = async_twin(Webhooks.ping)
    rotate_secret = async_twin(Webhooks.rotate_secret)
    deliveries = async_twin(Webhooks.deliveries)
    delivery = async_twin(Webhooks.delivery)
    redeliver = async_twin(Webhooks.redeliver)


__all__ = ["AsyncWebhooks", "Webhooks"]
