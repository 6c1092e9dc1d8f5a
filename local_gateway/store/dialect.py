"""What SQLite and PostgreSQL spell differently, written once for every store module."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Executable
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_ignore(session: AsyncSession, table: Any) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` in the session's dialect."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


async def affected(session: AsyncSession, stmt: Executable) -> int:
    """Run an INSERT / UPDATE / DELETE and return how many rows it changed.

    ``AsyncSession.execute`` is typed as returning a plain ``Result`` for every statement; a DML
    statement's result is a ``CursorResult``, which carries ``rowcount``.
    """
    return cast(CursorResult[Any], await session.execute(stmt)).rowcount
