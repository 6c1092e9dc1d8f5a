"""money in integer micro-dollars; events in per-thread sequence

Revision ID: 0005_money
Revises: 0001_base, 0002_threads

- ``credit_ledger.amount_usd`` (float) becomes ``amount_micros`` (bigint) and
  ``request_log.cost_usd`` becomes ``cost_micros``: each stored float is read as the decimal it
  prints as (``repr``) and rounded to the nearest micro-dollar, halves away from zero — the rule
  of ``services/billing/money.py:usd_to_micros``, applied in Python so SQLite and PostgreSQL
  convert every value identically. Values are mapped once per distinct amount (request costs
  repeat a lot), then every row is updated in one statement per table.
- ``events`` gain ``thread_id`` and ``seq``; existing events of a thread (their payload names
  it) are numbered 1, 2, 3, … in the order they were written, and ``event_sequences`` holds each
  thread's last number.
"""

from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0005_money"
down_revision: str | Sequence[str] | None = ("0001_base", "0002_threads")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_str = sqlmodel.sql.sqltypes.AutoString
# (table, float column in dollars, integer column in micro-dollars)
_MONEY = (("credit_ledger", "amount_usd", "amount_micros"), ("request_log", "cost_usd", "cost_micros"))


def _micros(usd: float) -> int:
    return int((Decimal(repr(float(usd))) * 1_000_000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _convert(
    table: str,
    source: str,
    target: str,
    types: tuple[sa.types.TypeEngine[Any], ...],
    to_target: Callable[[Any], Any],
) -> None:
    """Fill ``target`` from ``source`` through a table mapping each distinct value (``to_target``)."""
    conn = op.get_bind()
    distinct = [row[0] for row in conn.execute(sa.text(f"SELECT DISTINCT {source} FROM {table}"))]
    if not distinct:
        return
    old_type, new_type = types
    mapping = op.create_table(
        "money_conversion",
        sa.Column("old", old_type, primary_key=True),
        sa.Column("new", new_type, nullable=False),
    )
    op.bulk_insert(mapping, [{"old": v, "new": to_target(v)} for v in distinct if v is not None])
    conn.execute(
        sa.text(
            f"UPDATE {table} SET {target} = "
            f"(SELECT new FROM money_conversion WHERE money_conversion.old = {table}.{source})"
        )
    )
    op.drop_table("money_conversion")


def upgrade() -> None:
    for table, usd, micros in _MONEY:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(micros, sa.BigInteger(), nullable=True))
        _convert(table, usd, micros, (sa.Float(), sa.BigInteger()), _micros)
        with op.batch_alter_table(table) as batch:
            batch.alter_column(micros, existing_type=sa.BigInteger(), nullable=False)
            batch.drop_column(usd)

    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("thread_id", _str(length=40), nullable=True))
        batch.add_column(sa.Column("seq", sa.Integer(), nullable=True))
    op.create_table(
        "event_sequences",
        sa.Column("thread_id", _str(length=40), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("thread_id"),
    )
    _number_thread_events()
    op.create_index("ux_events_thread_seq", "events", ["thread_id", "seq"], unique=True)


def _number_thread_events() -> None:
    conn = op.get_bind()
    events = sa.table(
        "events",
        sa.column("id", sa.String),
        sa.column("data", sa.JSON),
        sa.column("created_at"),
        sa.column("thread_id", sa.String),
        sa.column("seq", sa.Integer),
    )
    last: dict[str, int] = {}
    updates = []
    for event_id, data in conn.execute(
        sa.select(events.c.id, events.c.data).order_by(events.c.created_at, events.c.id)
    ):
        thread_id = data.get("thread_id") if isinstance(data, dict) else None
        if not isinstance(thread_id, str):
            continue
        last[thread_id] = last.get(thread_id, 0) + 1
        updates.append({"event_id": event_id, "thread": thread_id, "number": last[thread_id]})
    if updates:
        conn.execute(
            events.update()
            .where(events.c.id == sa.bindparam("event_id"))
            .values(thread_id=sa.bindparam("thread"), seq=sa.bindparam("number")),
            updates,
        )
        op.bulk_insert(
            sa.table("event_sequences", sa.column("thread_id"), sa.column("last_seq")),
            [{"thread_id": t, "last_seq": n} for t, n in last.items()],
        )


def downgrade() -> None:
    op.drop_index("ux_events_thread_seq", table_name="events")
    op.drop_table("event_sequences")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("seq")
        batch.drop_column("thread_id")
    for table, usd, micros in _MONEY:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(usd, sa.Float(), nullable=True))
        _convert(table, micros, usd, (sa.BigInteger(), sa.Float()), lambda m: m / 1_000_000)
        with op.batch_alter_table(table) as batch:
            batch.alter_column(usd, existing_type=sa.Float(), nullable=False)
            batch.drop_column(micros)
