"""Tables of the NPC templates a developer owns: the template, and every version of it.

A version is written once and never changed: threads record the version they were made from
and read that copy for as long as they live, whatever later happens to the template. Deleting a
template removes only its head row, so version numbers are never reused (a template created
again under the same id goes on from the last number).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel


class NpcTemplate(SQLModel, table=True):
    """The head of a template: which version is current."""

    __tablename__ = "npc_templates"

    developer_id: str = Field(primary_key=True, foreign_key="developers.id", max_length=40)
    id: str = Field(primary_key=True, max_length=64)
    version: int
    created_at: datetime
    updated_at: datetime


class NpcTemplateVersion(SQLModel, table=True):
    """One version's content, immutable."""

    __tablename__ = "npc_template_versions"

    developer_id: str = Field(primary_key=True, max_length=40)
    template_id: str = Field(primary_key=True, max_length=64)
    version: int = Field(primary_key=True)
    name: str = Field(max_length=100)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    system_prompt: str = Field(sa_column=Column(Text, nullable=False))
    response_style: str = Field(max_length=16)
    default_model: str | None = Field(default=None, max_length=100)
    actions: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    examples: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    state_schema: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    created_at: datetime
