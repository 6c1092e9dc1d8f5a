"""Migration 0005_money turns float dollars into integer micro-dollars and numbers old events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from local_gateway.store import migrate
from local_gateway.store.db import async_url
from tests.support.gateway_process import query_database, run_async

T0 = datetime(2026, 11, 1, tzinfo=UTC)
# Dollars as the float-era gateway stored them, and the micro-dollars each must become.
LEDGER = [
    (5.0, 5_000_000),
    (-0.00066, -660),
    (0.1 + 0.2, 300_000),
    (-5e-07, -1),
    (-1234.5678915, -1234567892),
]
COSTS = [(0.00066, 660), (0.0, 0), (1.5e-06, 2), (2.4999e-06, 2), (0.000912, 912)]


def _execute(url: str, statements: list[tuple[str, dict[str, Any]]]) -> None:
    async def run() -> None:
        engine = create_async_engine(async_url(url))
        try:
            async with engine.begin() as conn:
                for sql, params in statements:
                    await conn.execute(text(sql), params)
        finally:
            await engine.dispose()

    run_async(run())


def _float_era_rows() -> list[tuple[str, dict[str, Any]]]:
    rows: list[tuple[str, dict[str, Any]]] = [
        (
            "INSERT INTO developers (id, email, tier, created_at) "
            "VALUES ('dev_old', 'old@example.com', 'free', :t)",
            {"t": T0},
        )
    ]
    for i, (usd, _) in enumerate(LEDGER):
        rows.append(
            (
                "INSERT INTO credit_ledger (developer_id, amount_usd, reason, created_at) "
                "VALUES ('dev_old', :usd, :reason, :t)",
                {"usd": usd, "reason": f"r{i}", "t": T0 + timedelta(seconds=i)},
            )
        )
    for i, (usd, _) in enumerate(COSTS):
        rows.append(
            (
                "INSERT INTO request_log (request_id, developer_id, key_id, endpoint, prompt_tokens, "
                "completion_tokens, cost_usd, latency_ms, status, stream, created_at) "
                "VALUES (:rid, 'dev_old', 'key_old', '/v1/chat', 1, 1, :usd, 1.0, 200, false, :t)",
                {"rid": f"req_{i}", "usd": usd, "t": T0 + timedelta(seconds=i)},
            )
        )
    # Written out of order on purpose: numbering follows the time they happened.
    events = [
        ("evt_a2", "thread.message", '{"thread_id": "thr_a", "n": 2}', 2),
        ("evt_b1", "thread.created", '{"thread_id": "thr_b"}', 1),
        ("evt_a1", "thread.created", '{"thread_id": "thr_a", "n": 1}', 0),
        ("evt_s1", "symbols.uploaded", '{"symbol_id": "sym_1"}', 3),
        ("evt_a3", "thread.state_changed", '{"thread_id": "thr_a", "n": 3}', 4),
    ]
    for event_id, kind, data, second in events:
        rows.append(
            (
                "INSERT INTO events (id, developer_id, type, data, created_at) "
                "VALUES (:id, 'dev_old', :type, :data, :t)",
                {"id": event_id, "type": kind, "data": data, "t": T0 + timedelta(seconds=second)},
            )
        )
    return rows


def _where(url: str) -> str | Path:
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite") else url


def test_float_rows_become_micro_dollars_and_events_get_numbers(
    database_url: str | None, tmp_path: Path
) -> None:
    url = database_url or f"sqlite:///{tmp_path / 'old.db'}"
    for revision in ("0002_threads", "0003_symbols"):  # the schema before this migration
        migrate.upgrade(url, revision)
    _execute(url, _float_era_rows())
    migrate.upgrade(url)

    where = _where(url)
    ledger = query_database(where, "SELECT amount_micros FROM credit_ledger ORDER BY created_at")
    assert [r["amount_micros"] for r in ledger] == [micros for _, micros in LEDGER]
    costs = query_database(where, "SELECT cost_micros FROM request_log ORDER BY created_at")
    assert [r["cost_micros"] for r in costs] == [micros for _, micros in COSTS]
    events = query_database(where, "SELECT id, thread_id, seq FROM events ORDER BY id")
    assert [(e["id"], e["thread_id"], e["seq"]) for e in events] == [
        ("evt_a1", "thr_a", 1),
        ("evt_a2", "thr_a", 2),
        ("evt_a3", "thr_a", 3),
        ("evt_b1", "thr_b", 1),
        ("evt_s1", None, None),
    ]
    counters = query_database(where, "SELECT thread_id, last_seq FROM event_sequences ORDER BY thread_id")
    assert [(c["thread_id"], c["last_seq"]) for c in counters] == [("thr_a", 3), ("thr_b", 1)]

    # And back: the downgrade restores dollars (now exact to the micro-dollar).
    command.downgrade(migrate.alembic_config(url), "0002_threads")
    ledger = query_database(where, "SELECT amount_usd FROM credit_ledger ORDER BY created_at")
    assert [r["amount_usd"] for r in ledger] == [micros / 1e6 for _, micros in LEDGER]
