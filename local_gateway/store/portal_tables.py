"""Magic-link sign-in tokens and portal sessions (migration ``0013_portal``). Both are kept only
as SHA-256 hashes of their random values: a copy of the database signs nobody in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class MagicLink(SQLModel, table=True):
    __tablename__ = "magic_links"
    __table_args__ = (
        # The per-email and per-IP request limits count recent rows.
        Index("ix_magic_links_email_time", "email", "created_at"),
        Index("ix_magic_links_ip_time", "ip", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)
    email: str = Field(max_length=320)
    ip: str = Field(max_length=64)
    created_at: datetime
    expires_at: datetime
    # Single use: set by the one verify that wins.
    used_at: datetime | None = None


class PortalSession(SQLModel, table=True):
    __tablename__ = "portal_sessions"

    id: str = Field(primary_key=True, max_length=40)
    token_hash: str = Field(unique=True, max_length=64)
    developer_id: str = Field(foreign_key="developers.id", index=True, max_length=40)
    created_at: datetime
    expires_at: datetime
    ended_at: datetime | None = None
