"""Plain records of threads and their messages, as the store hands them to services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ThreadRecord:
    id: str
    developer_id: str
    kind: str
    npc_id: str | None
    player_id: str | None
    npc_template: str | None
    system_prompt: str | None
    response_style: str | None
    metadata: dict[str, Any]
    state: dict[str, Any]
    actions: list[dict[str, Any]]
    participants: list[dict[str, Any]] | None
    message_count: int
    last_seq: int
    last_model: str | None
    created_at: datetime
    updated_at: datetime
    last_message_at: datetime | None
    # The version of the developer's own template it was made from; None for a built-in.
    npc_template_version: int | None = None

    @property
    def is_group(self) -> bool:
        return self.kind == "group"


@dataclass(frozen=True)
class MessageRecord:
    id: str
    thread_id: str
    seq: int
    role: str
    name: str | None
    content: str | None
    tool_calls: list[dict[str, Any]] | None
    tool_call_id: str | None
    model: str | None
    created_at: datetime


@dataclass
class NewMessage:
    """A message about to be stored; the store gives it an id and a sequence number."""

    role: str
    content: str | None
    name: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    tool_call_id: str | None = None
    model: str | None = None
    id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SummaryRecord:
    viewer: str
    text: str
    upto_seq: int


@dataclass(frozen=True)
class MemoryRow:
    """One recall-index entry without its text (texts are fetched only for the chosen few)."""

    id: int
    kind: str
    seq_from: int
    seq_to: int
    importance: float
    vector: bytes


@dataclass
class NewMemory:
    kind: str
    seq_from: int
    seq_to: int
    text: str
    importance: float
    vector: bytes
