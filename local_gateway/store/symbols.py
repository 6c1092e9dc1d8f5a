"""Symbol files, the blob rows they reference, and presigned upload tokens."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from local_gateway.store.dialect import affected
from local_gateway.store.records import SymbolRecord, UploadTokenRecord
from local_gateway.store.tables import Blob, SymbolFile, SymbolUploadToken


def _record(row: SymbolFile) -> SymbolRecord:
    return SymbolRecord(
        id=row.id,
        developer_id=row.developer_id,
        module_name=row.module_name,
        debug_id=row.debug_id,
        slot=row.slot,
        file_type=row.file_type,
        platform=row.platform,
        arch=row.arch,
        code_id=row.code_id,
        code_file=row.code_file,
        file_name=row.file_name,
        features=tuple(row.features or ()),
        sha256=row.sha256,
        size=row.size,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def lock_blob(session: AsyncSession, sha256: str, size: int, now: datetime) -> None:
    """Make sure the blob row exists and hold its lock until the transaction ends.

    An upload that reuses a blob and a delete that removes it both take this lock, so a delete
    never unlinks a file that a concurrent upload has just started to reference.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(
        insert(Blob).values(sha256=sha256, size=size, created_at=now).on_conflict_do_nothing()
    )
    await session.execute(select(col(Blob.sha256)).where(col(Blob.sha256) == sha256).with_for_update())


async def lock_existing_blob(session: AsyncSession, sha256: str) -> bool:
    stmt = select(col(Blob.sha256)).where(col(Blob.sha256) == sha256).with_for_update()
    return (await session.execute(stmt)).first() is not None


async def blob_in_use(session: AsyncSession, sha256: str) -> bool:
    stmt = select(col(SymbolFile.id)).where(col(SymbolFile.sha256) == sha256).limit(1)
    return (await session.execute(stmt)).first() is not None


async def delete_blob_row(session: AsyncSession, sha256: str) -> None:
    await session.execute(delete(Blob).where(col(Blob.sha256) == sha256))


async def in_slot(
    session: AsyncSession, developer_id: str, module_key: str, debug_id: str, slot: str
) -> SymbolRecord | None:
    stmt = select(SymbolFile).where(
        col(SymbolFile.developer_id) == developer_id,
        col(SymbolFile.module_key) == module_key,
        col(SymbolFile.debug_id) == debug_id,
        col(SymbolFile.slot) == slot,
    )
    row = (await session.execute(stmt)).scalar_one_or_none()
    return _record(row) if row else None


async def add_symbol(session: AsyncSession, **fields: Any) -> SymbolRecord:
    row = SymbolFile(**fields)
    session.add(row)
    await session.flush()
    return _record(row)


async def replace_symbol(
    session: AsyncSession, developer_id: str, symbol_id: str, **fields: Any
) -> SymbolRecord:
    row = await session.get(SymbolFile, symbol_id)
    assert row is not None and row.developer_id == developer_id
    for name, value in fields.items():
        setattr(row, name, value)
    await session.flush()
    return _record(row)


async def get_symbol(session: AsyncSession, developer_id: str, symbol_id: str) -> SymbolRecord | None:
    row = await session.get(SymbolFile, symbol_id)
    return _record(row) if row is not None and row.developer_id == developer_id else None


async def delete_symbol(session: AsyncSession, developer_id: str, symbol_id: str) -> SymbolRecord | None:
    row = await session.get(SymbolFile, symbol_id)
    if row is None or row.developer_id != developer_id:
        return None
    record = _record(row)
    await session.delete(row)
    await session.flush()
    return record


async def by_module(
    session: AsyncSession, developer_id: str, module_key: str, debug_id: str
) -> list[SymbolRecord]:
    stmt = select(SymbolFile).where(
        col(SymbolFile.developer_id) == developer_id,
        col(SymbolFile.module_key) == module_key,
        col(SymbolFile.debug_id) == debug_id,
    )
    return [_record(r) for r in (await session.execute(stmt)).scalars()]


async def by_code_id(session: AsyncSession, developer_id: str, code_key: str) -> list[SymbolRecord]:
    stmt = select(SymbolFile).where(
        col(SymbolFile.developer_id) == developer_id, col(SymbolFile.code_key) == code_key
    )
    return [_record(r) for r in (await session.execute(stmt)).scalars()]


async def list_symbols(
    session: AsyncSession,
    developer_id: str,
    limit: int,
    before: SymbolRecord | None = None,
    module_key: str | None = None,
    debug_id: str | None = None,
    file_type: str | None = None,
) -> list[SymbolRecord]:
    """Newest first; ``before`` continues after the last item of the previous page."""
    stmt = select(SymbolFile).where(col(SymbolFile.developer_id) == developer_id)
    if module_key is not None:
        stmt = stmt.where(col(SymbolFile.module_key) == module_key)
    if debug_id is not None:
        stmt = stmt.where(col(SymbolFile.debug_id) == debug_id)
    if file_type is not None:
        stmt = stmt.where(col(SymbolFile.file_type) == file_type)
    if before is not None:
        stmt = stmt.where(
            (col(SymbolFile.created_at) < before.created_at)
            | ((col(SymbolFile.created_at) == before.created_at) & (col(SymbolFile.id) < before.id))
        )
    stmt = stmt.order_by(col(SymbolFile.created_at).desc(), col(SymbolFile.id).desc()).limit(limit)
    return [_record(r) for r in (await session.execute(stmt)).scalars()]


async def count_symbols(session: AsyncSession, developer_id: str) -> int:
    stmt = select(func.count()).select_from(SymbolFile).where(col(SymbolFile.developer_id) == developer_id)
    return int((await session.execute(stmt)).scalar_one())


async def present_hashes(session: AsyncSession, developer_id: str, hashes: Iterable[str]) -> set[str]:
    wanted = list(hashes)
    if not wanted:
        return set()
    stmt = (
        select(col(SymbolFile.sha256))
        .where(col(SymbolFile.developer_id) == developer_id, col(SymbolFile.sha256).in_(wanted))
        .distinct()
    )
    return set((await session.execute(stmt)).scalars())


async def add_token(session: AsyncSession, **fields: Any) -> None:
    session.add(SymbolUploadToken(**fields))


async def get_token(session: AsyncSession, token_hash: str) -> UploadTokenRecord | None:
    row = await session.get(SymbolUploadToken, token_hash)
    if row is None:
        return None
    return UploadTokenRecord(row.developer_id, dict(row.params), row.max_size, row.expires_at, row.used_at)


async def spend_token(session: AsyncSession, token_hash: str, now: datetime) -> bool:
    """Mark the token used; False when another request spent it first or it has expired."""
    stmt = (
        update(SymbolUploadToken)
        .where(
            col(SymbolUploadToken.token_hash) == token_hash,
            col(SymbolUploadToken.used_at).is_(None),
            col(SymbolUploadToken.expires_at) > now,
        )
        .values(used_at=now)
    )
    return await affected(session, stmt) == 1


async def for_modules(
    session: AsyncSession, developer_id: str, modules: Iterable[tuple[str, str]]
) -> list[SymbolRecord]:
    """The files held for any of these ``(module_key, debug_id)`` pairs, in one query."""
    wanted = set(modules)
    if not wanted:
        return []
    stmt = select(SymbolFile).where(
        col(SymbolFile.developer_id) == developer_id,
        col(SymbolFile.module_key).in_({key for key, _ in wanted}),
    )
    rows = (await session.execute(stmt)).scalars()
    return [_record(r) for r in rows if (r.module_key, r.debug_id) in wanted]
