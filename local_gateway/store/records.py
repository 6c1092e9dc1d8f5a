"""Plain records the store hands to services (rows never leave the store package)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class DeveloperRecord:
    id: str
    email: str
    tier: str
    rpm_override: int | None
    created_at: datetime


@dataclass(frozen=True)
class KeyRecord:
    id: str
    developer_id: str
    prefix: str
    last4: str
    environment: str
    name: str | None
    rpm_override: int | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def display(self) -> str:
        return f"{self.prefix}…{self.last4}"
