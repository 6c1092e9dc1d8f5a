"""The spec's key rotation policy: < 90 days healthy, 90–180 aging, > 180 stale."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from local_gateway.store.records import KeyRecord

# (the oldest age in days a status covers, status, recommendation), youngest first.
POLICY: tuple[tuple[int | None, str, str], ...] = (
    (90, "healthy", "No action needed."),
    (180, "aging", "Consider rotating this key: mg keys rotate."),
    (None, "stale", "Rotate this key immediately: mg keys rotate."),
)


@dataclass(frozen=True)
class KeyHealth:
    key: KeyRecord
    age_days: int
    status: str
    recommendation: str


def age_days(key: KeyRecord, now: datetime) -> int:
    return max(0, (now - key.created_at).days)


def assess(key: KeyRecord, now: datetime) -> KeyHealth:
    age = age_days(key, now)
    for limit, status, recommendation in POLICY:
        if limit is None or age < limit:
            return KeyHealth(key, age, status, recommendation)
    raise AssertionError("the last policy row covers every age")


def key_status(key: KeyRecord, now: datetime) -> str:
    """active | expiring (rotated, in its grace period) | expired | revoked."""
    if key.revoked_at is not None:
        return "revoked"
    if key.expires_at is not None:
        return "expiring" if now < key.expires_at else "expired"
    return "active"
