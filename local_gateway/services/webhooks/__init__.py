"""Webhooks: endpoints (:mod:`.service`), signing (:mod:`mg.webhooks`), delivery and dispatch
(:mod:`.delivery`), the event names (:mod:`.events`) and request bodies (:mod:`.params`)."""

from local_gateway.services.webhooks.delivery import DELIVER, Deliverer, Dispatcher, retry_delay
from local_gateway.services.webhooks.events import EVENT_TYPES
from local_gateway.services.webhooks.service import DeliveryView, WebhookService

__all__ = [
    "DELIVER",
    "EVENT_TYPES",
    "Deliverer",
    "DeliveryView",
    "Dispatcher",
    "WebhookService",
    "retry_delay",
]
