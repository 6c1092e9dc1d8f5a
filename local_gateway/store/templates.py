"""Queries on the NPC templates developers own (the built-in ones are data files, not rows).

Every function takes the developer id: another developer's template is simply not found.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from local_gateway.store.dialect import affected
from local_gateway.store.template_tables import NpcTemplate, NpcTemplateVersion

# The content columns of a version, in the order a record lists them.
CONTENT = (
    "name", "tags", "description", "system_prompt", "response_style", "default_model", "actions",
    "examples", "state_schema",
)  # fmt: skip


@dataclass(frozen=True)
class TemplateRecord:
    """One version of a developer's template; ``created_at`` is the template's (or, for an old
    version read by a thread, the version's), ``updated_at`` when this version was written."""

    developer_id: str
    id: str
    version: int
    name: str
    tags: list[str]
    description: str
    system_prompt: str
    response_style: str
    default_model: str | None
    actions: list[dict[str, Any]]
    examples: list[dict[str, Any]]
    state_schema: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime


def _record(row: NpcTemplateVersion, created_at: datetime | None = None) -> TemplateRecord:
    return TemplateRecord(
        developer_id=row.developer_id,
        id=row.template_id,
        version=row.version,
        name=row.name,
        tags=list(row.tags or []),
        description=row.description or "",
        system_prompt=row.system_prompt,
        response_style=row.response_style,
        default_model=row.default_model,
        actions=list(row.actions or []),
        examples=list(row.examples or []),
        state_schema=dict(row.state_schema) if row.state_schema is not None else None,
        created_at=created_at or row.created_at,
        updated_at=row.created_at,
    )


def _current(developer_id: str) -> Any:
    return (
        select(NpcTemplateVersion, col(NpcTemplate.created_at))
        .join(
            NpcTemplate,
            and_(
                col(NpcTemplate.developer_id) == col(NpcTemplateVersion.developer_id),
                col(NpcTemplate.id) == col(NpcTemplateVersion.template_id),
                col(NpcTemplate.version) == col(NpcTemplateVersion.version),
            ),
        )
        .where(col(NpcTemplate.developer_id) == developer_id)
    )


async def list_templates(session: AsyncSession, developer_id: str) -> list[TemplateRecord]:
    """The current version of every template of the developer, by id."""
    stmt = _current(developer_id).order_by(col(NpcTemplate.id))
    return [_record(row, created) for row, created in (await session.execute(stmt)).all()]


async def get_templates(
    session: AsyncSession, developer_id: str, template_ids: Iterable[str]
) -> dict[str, TemplateRecord]:
    """The current versions of those of ``template_ids`` the developer has."""
    wanted = sorted(set(template_ids))
    if not wanted:
        return {}
    stmt = _current(developer_id).where(col(NpcTemplate.id).in_(wanted))
    return {row.template_id: _record(row, created) for row, created in (await session.execute(stmt)).all()}


async def get_template(session: AsyncSession, developer_id: str, template_id: str) -> TemplateRecord | None:
    found = await get_templates(session, developer_id, [template_id])
    return found.get(template_id)


async def lock_template(session: AsyncSession, developer_id: str, template_id: str) -> int | None:
    """The current version number, with the head row locked until the transaction ends."""
    head = await session.get(NpcTemplate, (developer_id, template_id), with_for_update=True)
    return head.version if head is not None else None


async def get_version(
    session: AsyncSession, developer_id: str, template_id: str, version: int
) -> TemplateRecord | None:
    row = await session.get(NpcTemplateVersion, (developer_id, template_id, version))
    return _record(row) if row is not None else None


async def count_templates(session: AsyncSession, developer_id: str) -> int:
    stmt = select(func.count()).select_from(NpcTemplate).where(col(NpcTemplate.developer_id) == developer_id)
    return int((await session.execute(stmt)).scalar_one())


async def last_version(session: AsyncSession, developer_id: str, template_id: str) -> int:
    """The highest version ever written under this id (0 for none), deleted templates included."""
    stmt = select(func.max(col(NpcTemplateVersion.version))).where(
        col(NpcTemplateVersion.developer_id) == developer_id,
        col(NpcTemplateVersion.template_id) == template_id,
    )
    return int((await session.execute(stmt)).scalar_one() or 0)


async def write_version(
    session: AsyncSession,
    developer_id: str,
    template_id: str,
    version: int,
    content: dict[str, Any],
    now: datetime,
    *,
    new: bool,
) -> None:
    """Store ``content`` as ``version`` and make it current (``new``: the template is created)."""
    session.add(
        NpcTemplateVersion(
            developer_id=developer_id,
            template_id=template_id,
            version=version,
            created_at=now,
            **{k: content[k] for k in CONTENT},
        )
    )
    if new:
        session.add(
            NpcTemplate(
                developer_id=developer_id, id=template_id, version=version, created_at=now, updated_at=now
            )
        )
    else:
        head = await session.get(NpcTemplate, (developer_id, template_id))
        assert head is not None
        head.version, head.updated_at = version, now
    await session.flush()


async def delete_template(session: AsyncSession, developer_id: str, template_id: str) -> bool:
    """Remove the head row; the versions stay, as threads made from them read them."""
    result = await affected(
        session,
        delete(NpcTemplate).where(
            col(NpcTemplate.developer_id) == developer_id, col(NpcTemplate.id) == template_id
        ),
    )
    return bool(result)
