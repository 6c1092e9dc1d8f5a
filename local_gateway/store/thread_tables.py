"""Tables of NPC threads: the thread, its messages, its memory (summaries and recall index).

Kept apart from ``tables.py`` so that the thread schema reads as one unit; migration
``0002_threads`` creates exactly these.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, LargeBinary, String, Text
from sqlmodel import Field, SQLModel


class Thread(SQLModel, table=True):
    __tablename__ = "threads"
    __table_args__ = (
        Index("ix_threads_dev_npc_player", "developer_id", "npc_id", "player_id"),
        Index("ix_threads_dev_created", "developer_id", "created_at", "id"),
    )

    id: str = Field(primary_key=True, max_length=40)
    developer_id: str = Field(foreign_key="developers.id", max_length=40)
    kind: str = Field(max_length=10)  # single | group
    npc_id: str | None = Field(default=None, max_length=200)
    player_id: str | None = Field(default=None, max_length=200)
    npc_template: str | None = Field(default=None, max_length=64)
    # The version of a developer's own template the thread was made from (null: a built-in).
    npc_template_version: int | None = None
    system_prompt: str | None = Field(default=None, sa_column=Column(Text))
    response_style: str | None = Field(default=None, max_length=16)
    # ``metadata`` is taken by SQLModel itself; the column keeps the API's name.
    meta: dict[str, Any] = Field(default_factory=dict, sa_column=Column("metadata", JSON, nullable=False))
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    actions: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    participants: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON))
    message_count: int = 0
    last_seq: int = 0
    last_model: str | None = Field(default=None, max_length=100)
    created_at: datetime
    updated_at: datetime
    last_message_at: datetime | None = None


class ThreadMessage(SQLModel, table=True):
    __tablename__ = "thread_messages"
    __table_args__ = (Index("ux_thread_messages_seq", "thread_id", "seq", unique=True),)

    id: str = Field(primary_key=True, max_length=40)
    thread_id: str = Field(
        sa_column=Column(String(40), ForeignKey("threads.id", ondelete="CASCADE"), nullable=False)
    )
    developer_id: str = Field(max_length=40)
    seq: int
    role: str = Field(max_length=16)
    name: str | None = Field(default=None, max_length=200)
    content: str | None = Field(default=None, sa_column=Column(Text))
    tool_calls: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON))
    tool_call_id: str | None = Field(default=None, max_length=100)
    model: str | None = Field(default=None, max_length=100)
    created_at: datetime


class ThreadMemory(SQLModel, table=True):
    """One entry of the recall index: an exchange or an archived summary, with its vector."""

    __tablename__ = "thread_memories"
    __table_args__ = (Index("ix_thread_memories_thread", "thread_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    thread_id: str = Field(
        sa_column=Column(String(40), ForeignKey("threads.id", ondelete="CASCADE"), nullable=False)
    )
    developer_id: str = Field(max_length=40)
    kind: str = Field(max_length=16)  # turn | summary
    seq_from: int
    seq_to: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    importance: float
    vector: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime


class ThreadSummary(SQLModel, table=True):
    """The running summary of what one viewer knows (``""`` = the whole thread)."""

    __tablename__ = "thread_summaries"

    thread_id: str = Field(
        sa_column=Column(String(40), ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True)
    )
    viewer: str = Field(primary_key=True, max_length=200)
    developer_id: str = Field(max_length=40)
    text: str = Field(sa_column=Column(Text, nullable=False))
    upto_seq: int
    updated_at: datetime


class NpcInteraction(SQLModel, table=True):
    """First contact between a player and an NPC; the primary key makes it happen once."""

    __tablename__ = "npc_interactions"

    developer_id: str = Field(primary_key=True, max_length=40)
    npc_id: str = Field(primary_key=True, max_length=200)
    player_id: str = Field(primary_key=True, max_length=200)
    thread_id: str = Field(max_length=40)
    first_at: datetime
