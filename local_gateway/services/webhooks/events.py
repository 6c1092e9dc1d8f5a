"""The events an endpoint can subscribe to, and the body a delivery carries."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from mg.times import format_time

# Senders of crash.* and player.credit_low land with the crash and billing work; endpoints can
# subscribe to them already, so nobody has to re-register when they start to arrive.
EVENT_TYPES: dict[str, str] = {
    "thread.created": "A new thread was created.",
    "thread.message": "A new message was added to a thread.",
    "thread.action": "An NPC triggered a game action (offer_trade, give_quest, etc.).",
    "thread.state_changed": "Game state on a thread was updated.",
    "npc.first_interaction": "A player interacted with an NPC for the first time.",
    "player.credit_low": "The developer's credit balance is running low.",
    "crash.new_fingerprint": "A crash with a fingerprint never seen before arrived.",
    "crash.regression": "A crash that was marked resolved happened again.",
}
ALL = "*"
PING = "webhook.ping"


def body(event_id: str, event_type: str, created_at: datetime, data: dict[str, Any]) -> bytes:
    """The spec's payload (``event``, ``timestamp``, ``data``) plus the event's unique ``id``."""
    doc = {"id": event_id, "event": event_type, "timestamp": format_time(created_at), "data": data}
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
