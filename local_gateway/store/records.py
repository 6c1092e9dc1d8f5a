"""Plain records the store hands to services (rows never leave the store package)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class DeveloperRecord:
    id: str
    email: str
    tier: str
    rpm_override: int | None
    created_at: datetime
    tos_accepted_at: datetime | None = None


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
    expires_at: datetime | None = None
    replaced_by: str | None = None

    @property
    def display(self) -> str:
        return f"{self.prefix}…{self.last4}"

    def usable_at(self, now: datetime) -> bool:
        """Not revoked, and not past the end of a rotation's grace period."""
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


@dataclass(frozen=True)
class SymbolRecord:
    id: str
    developer_id: str
    module_name: str
    debug_id: str
    slot: str
    file_type: str
    platform: str
    arch: str | None
    code_id: str | None
    code_file: str | None
    file_name: str
    features: tuple[str, ...]
    sha256: str
    size: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class UploadTokenRecord:
    developer_id: str
    params: dict[str, Any]
    max_size: int
    expires_at: datetime
    used_at: datetime | None
