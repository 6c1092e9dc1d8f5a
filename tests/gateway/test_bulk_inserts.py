"""The request log's batch inserts (``store/bulk.py``, the driver's own ``executemany``) store
exactly what SQLAlchemy Core's insert would have: same values, same storage types, on both
databases. A difference here would show as a wrong cost, time or flag in ``GET /v1/logs``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert

from local_gateway.store import accounts, bulk
from local_gateway.store.db import Database
from local_gateway.store.migrate import upgrade_async
from local_gateway.store.request_log import _LOG_FIELDS, _TABLE

ROWS: list[dict[str, Any]] = [
    {
        "developer_id": "dev_bulk", "key_id": "key_1", "endpoint": "/v1/chat/completions", "model": None,
        "provider": None, "prompt_tokens": 0, "completion_tokens": 0, "cost_micros": 0, "latency_ms": 0.0,
        "status": 429, "error_code": "rate_limited", "stream": False, "extra": None,
        "created_at": datetime(2026, 12, 4, 23, 59, 59, 999_999, tzinfo=UTC),
    },
    {
        "developer_id": "dev_bulk", "key_id": "key_2", "endpoint": "/v1/stream", "model": "gpt-4o-mini",
        "provider": "openai", "prompt_tokens": 24, "completion_tokens": 13,
        "cost_micros": 9_007_199_254_740_993, "latency_ms": 3.797, "status": 200, "error_code": None,
        "stream": True,
        "extra": {"finish_reason": "stop", "npc": "Brokk der Schmied ⚒", "tools": [1, 2.5, None]},
        # Not UTC: both must store the same instant (2026-12-05 00:30 UTC).
        "created_at": datetime(2026, 12, 5, 2, 30, tzinfo=timezone(timedelta(hours=2))),
    },
]  # fmt: skip


def _stored(conn: Connection, request_id: str, sqlite: bool) -> tuple[Any, ...]:
    columns = [name for name in _LOG_FIELDS if name != "request_id"]
    if sqlite:  # the storage class too: 0 and 0.0, or '1' and 1, differ on SQLite
        select_list = ", ".join(f"{c}, typeof({c})" for c in columns)
        sql = f"SELECT {select_list} FROM request_log WHERE request_id = ?"
    else:
        sql = f"SELECT {', '.join(columns)} FROM request_log WHERE request_id = $1"
    row = conn.exec_driver_sql(sql, (request_id,)).one()
    return tuple(row)


async def test_batch_rows_equal_core_rows(database_url: str | None, tmp_path: Path) -> None:
    url = database_url or f"sqlite:///{tmp_path / 'bulk.db'}"
    await upgrade_async(url)
    db = Database(url)
    try:
        async with db.write() as session:
            await accounts.add_developer(session, "dev_bulk", "bulk@example.com", "free", datetime.now(UTC))

        def write(conn: Connection) -> None:
            conn.execute(insert(_TABLE), [dict(r, request_id=f"core-{n}") for n, r in enumerate(ROWS)])
            stmt = bulk.statement(conn, _TABLE, _LOG_FIELDS)
            rows = [dict(r, request_id=f"bulk-{n}") for n, r in enumerate(ROWS)]
            bulk.insert_many(conn, stmt, ([r[name] for name in _LOG_FIELDS] for r in rows))

        await db.write_sync(write)

        def read(conn: Connection) -> list[tuple[tuple[Any, ...], tuple[Any, ...]]]:
            return [
                (_stored(conn, f"core-{n}", db.is_sqlite), _stored(conn, f"bulk-{n}", db.is_sqlite))
                for n in range(len(ROWS))
            ]

        async with db.engine.connect() as conn:
            pairs = await conn.run_sync(read)
    finally:
        await db.close()
    for core, batch in pairs:
        assert batch == core
    # And what Core stored is what was meant (so the equality above is not of two wrongs).
    core_second = pairs[1][0]
    assert 9_007_199_254_740_993 in core_second
    assert not any(isinstance(v, str) and "+02" in v for v in core_second)
