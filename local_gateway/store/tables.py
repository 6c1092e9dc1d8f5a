"""SQLModel tables. Rows never leave the store package: services get plain dataclasses/dicts.

Every row that belongs to a developer carries ``developer_id`` and every query filters by it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel


class Developer(SQLModel, table=True):
    __tablename__ = "developers"

    id: str = Field(primary_key=True, max_length=40)
    email: str = Field(index=True, unique=True, max_length=320)
    tier: str = Field(default="free", max_length=20)
    rpm_override: int | None = None
    created_at: datetime
    # When the developer accepted the terms of service; None (a magic-link sign-up that has not
    # yet) answers TOS_REQUIRED. Local and operator-made developers are accepted at creation.
    tos_accepted_at: datetime | None = None


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: str = Field(primary_key=True, max_length=40)
    developer_id: str = Field(foreign_key="developers.id", index=True, max_length=40)
    key_hash: str = Field(unique=True, index=True, max_length=64)
    prefix: str = Field(max_length=16)
    last4: str = Field(max_length=4)
    environment: str = Field(max_length=8)  # test | live | pat
    name: str | None = Field(default=None, max_length=200)
    rpm_override: int | None = None
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    # A rotated key keeps working until expires_at (its grace period), then is refused.
    expires_at: datetime | None = None
    replaced_by: str | None = Field(default=None, max_length=40)


class CreditEntry(SQLModel, table=True):
    """Append-only ledger: the balance is the sum, never a mutable number.

    Amounts are integer micro-dollars (``services/billing/money.py``): grants positive,
    usage debits and corrections negative.
    """

    __tablename__ = "credit_ledger"
    __table_args__ = (
        Index("ix_credit_ledger_dev_time", "developer_id", "created_at"),
        # One expiration per grant: ``request_id`` names the grant (``grant:<id>``).
        Index(
            "ux_credit_ledger_expiration",
            "request_id",
            unique=True,
            sqlite_where=text("reason = 'expiration'"),
            postgresql_where=text("reason = 'expiration'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    developer_id: str = Field(foreign_key="developers.id", max_length=40)
    amount_micros: int = Field(sa_type=BigInteger)
    reason: str = Field(max_length=40)
    request_id: str | None = Field(default=None, max_length=64)
    created_at: datetime
    # A grant or purchase that lapses: what is left of it then is booked as an ``expiration``.
    expires_at: datetime | None = None
    # The operator's words for a grant or correction (``admin grant-credits --reason``).
    note: str | None = Field(default=None, max_length=200)


class RequestLog(SQLModel, table=True):
    __tablename__ = "request_log"
    # Every index here is updated by every request's row on the hot write path: only what a
    # query reads. (None reads by request id or by developer and time: usage has usage_daily.)
    __table_args__ = (
        # GET /v1/logs pages newest first by id, optionally of one model or status.
        Index("ix_request_log_dev_id", "developer_id", "id"),
        Index("ix_request_log_dev_model_id", "developer_id", "model", "id"),
        Index("ix_request_log_dev_status_id", "developer_id", "status", "id"),
        # Retention pruning deletes by age across every developer.
        Index("ix_request_log_time", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    request_id: str = Field(max_length=64)
    developer_id: str = Field(foreign_key="developers.id", max_length=40)
    key_id: str = Field(max_length=40)
    endpoint: str = Field(max_length=64)
    model: str | None = Field(default=None, max_length=100)
    provider: str | None = Field(default=None, max_length=40)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    # Micro-dollars, rounded once per request; the ledger debit of the request is its negative.
    cost_micros: int = Field(default=0, sa_type=BigInteger)
    latency_ms: float = 0.0
    status: int
    error_code: str | None = Field(default=None, max_length=40)
    stream: bool = False
    extra: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    created_at: datetime


class Event(SQLModel, table=True):
    """Outbox of everything a webhook will announce, written in the transaction of the change.

    Events of a thread carry its id and a sequence number: 1, 2, 3, … per thread with no gaps,
    in the order the changes committed (``store/events.py`` assigns it). Other events (symbols,
    credit) have neither.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_dev_time", "developer_id", "created_at"),
        Index("ux_events_thread_seq", "thread_id", "seq", unique=True),
        Index(
            "ix_events_undispatched",
            "created_at",
            sqlite_where=text("dispatched_at IS NULL"),
            postgresql_where=text("dispatched_at IS NULL"),
        ),
    )

    id: str = Field(primary_key=True, max_length=40)
    developer_id: str = Field(foreign_key="developers.id", max_length=40)
    type: str = Field(max_length=60)
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime
    # No foreign key: a thread's events outlive the thread (a deliverer may still owe them).
    thread_id: str | None = Field(default=None, max_length=40)
    seq: int | None = None
    # Set when the webhook dispatcher has turned the event into deliveries (migration 0012).
    dispatched_at: datetime | None = None


class EventSequence(SQLModel, table=True):
    """The last event sequence number handed out per thread; its row lock orders the writers."""

    __tablename__ = "event_sequences"

    thread_id: str = Field(primary_key=True, max_length=40)
    last_seq: int


class Blob(SQLModel, table=True):
    """One stored blob. Rows that use it reference its hash; this row is the lock that orders an
    upload reusing a blob against a delete removing it."""

    __tablename__ = "blobs"

    sha256: str = Field(primary_key=True, max_length=64)
    size: int = Field(sa_type=BigInteger)
    created_at: datetime


class SymbolFile(SQLModel, table=True):
    """One debug object a developer uploaded, keyed the way symbol servers look it up.

    ``slot`` tells apart files that legitimately share a module and debug id: the ``.sym``, the
    PDB and the PE of one build; an ELF binary (``executable``) and its split ``debuginfo``; a
    Mach-O binary, its zipped ``dsym`` and the bare DWARF file of the bundle (``macho-dwarf``).
    """

    __tablename__ = "symbol_files"
    __table_args__ = (
        UniqueConstraint("developer_id", "module_key", "debug_id", "slot", name="uq_symbol_files_slot"),
        Index("ix_symbol_files_dev_code", "developer_id", "code_key"),
        Index("ix_symbol_files_dev_sha", "developer_id", "sha256"),
        Index("ix_symbol_files_dev_time", "developer_id", "created_at"),
        Index("ix_symbol_files_sha256", "sha256"),
    )

    id: str = Field(primary_key=True, max_length=40)
    developer_id: str = Field(foreign_key="developers.id", max_length=40)
    module_name: str = Field(max_length=255)
    module_key: str = Field(max_length=255)  # module_name in lower case
    debug_id: str = Field(max_length=40)  # Breakpad form, upper case
    slot: str = Field(max_length=16)
    file_type: str = Field(max_length=8)
    platform: str = Field(max_length=32)
    arch: str | None = Field(default=None, max_length=32)
    code_id: str | None = Field(default=None, max_length=80)
    code_file: str | None = Field(default=None, max_length=255)
    # code_id in lower case: symsrv looks binaries up by it (with code_file), debuginfod alone.
    code_key: str | None = Field(default=None, max_length=80)
    file_name: str = Field(max_length=255)
    features: list[str] = Field(sa_column=Column(JSON, nullable=False))
    sha256: str = Field(foreign_key="blobs.sha256", max_length=64)
    size: int = Field(sa_type=BigInteger)
    created_at: datetime
    updated_at: datetime


class SymbolUploadToken(SQLModel, table=True):
    """A presigned upload: stored as a hash, valid until ``expires_at``, spent once."""

    __tablename__ = "symbol_upload_tokens"

    token_hash: str = Field(primary_key=True, max_length=64)
    developer_id: str = Field(foreign_key="developers.id", index=True, max_length=40)
    params: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    max_size: int = Field(sa_type=BigInteger)
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
