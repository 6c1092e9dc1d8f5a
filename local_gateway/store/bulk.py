"""Plain multi-row inserts through the driver's own ``executemany``, one prepared statement each.

The request-log batch is the gateway's hot write path. SQLAlchemy Core would compile the statement
and process every parameter of every row on each batch; here the SQL text and the per-column bind
processors are built once per table and dialect, and the rows go straight to the DB-API cursor of
the batch's connection, inside its transaction: ``sqlite3``'s ``executemany`` on SQLite, asyncpg's
``executemany`` (one prepared statement, pipelined) on PostgreSQL. The bind processors are the
columns' own, so what lands in a row is byte for byte what a Core insert would have written
(aware datetimes in UTC, JSON text, dates).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class Statement:
    sql: str
    processors: tuple[Processor, ...]

    def bind(self, row: Sequence[Any]) -> tuple[Any, ...]:
        # Processors see None too: a JSON column writes a Python None as JSON ``null``, as Core does.
        return tuple(v if p is None else p(v) for p, v in zip(self.processors, row, strict=True))


_CACHE: dict[tuple[str, str, str], Statement] = {}


def _placeholders(paramstyle: str, n: int) -> str:
    if paramstyle == "qmark":
        return ", ".join("?" * n)
    if paramstyle == "numeric_dollar":
        return ", ".join(f"${i}" for i in range(1, n + 1))
    raise ValueError(f"unsupported DB-API paramstyle {paramstyle!r}")


def statement(conn: Connection, table: Table, columns: Sequence[str], suffix: str = "") -> Statement:
    """``INSERT INTO table (columns) VALUES (…) suffix`` for the connection's dialect, built once."""
    dialect = conn.dialect
    key = (dialect.name, table.name, ",".join(columns) + suffix)
    found = _CACHE.get(key)
    if found is None:
        sql = (
            f"INSERT INTO {table.name} ({', '.join(columns)}) "
            f"VALUES ({_placeholders(dialect.paramstyle, len(columns))}){suffix}"
        )
        types = [table.c[name].type.dialect_impl(dialect) for name in columns]
        processors = tuple(t.bind_processor(dialect) for t in types)
        found = _CACHE[key] = Statement(sql, processors)
    return found


def insert_many(conn: Connection, stmt: Statement, rows: Iterable[Sequence[Any]]) -> None:
    """Run ``stmt`` once per row through the driver's ``executemany``, in ``conn``'s transaction."""
    params = [stmt.bind(row) for row in rows]
    if not params:
        return
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(stmt.sql, params)
    finally:
        cursor.close()
