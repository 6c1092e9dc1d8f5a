"""credits that expire, daily usage aggregates, spend limits, credit alerts, telemetry

Revision ID: 0008_billing
Revises: 0005_money

- ``credit_ledger.expires_at``, ``note``: a grant may lapse, and says why it was made; one
  ``expiration`` entry per grant (a partial unique index on the grant it names).
- ``usage_daily`` is filled from the request log that exists, so usage and caps count what was
  recorded before the upgrade.
- indexes that page ``GET /v1/logs`` and prune the request log by age.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0008_billing"
down_revision: str | Sequence[str] | None = "0005_money"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_str = sqlmodel.sql.sqltypes.AutoString
_time = sqlmodel.sql.sqltypes.UTCDateTime
_EXPIRATION = sa.text("reason = 'expiration'")


def upgrade() -> None:
    with op.batch_alter_table("credit_ledger") as batch:
        batch.add_column(sa.Column("expires_at", _time(), nullable=True))
        batch.add_column(sa.Column("note", _str(length=200), nullable=True))
    op.create_index(
        "ux_credit_ledger_expiration",
        "credit_ledger",
        ["request_id"],
        unique=True,
        sqlite_where=_EXPIRATION,
        postgresql_where=_EXPIRATION,
    )
    op.create_index("ix_request_log_dev_id", "request_log", ["developer_id", "id"])
    op.create_index("ix_request_log_dev_model_id", "request_log", ["developer_id", "model", "id"])
    op.create_index("ix_request_log_dev_status_id", "request_log", ["developer_id", "status", "id"])
    op.create_index("ix_request_log_time", "request_log", ["created_at"])
    op.create_table(
        "usage_daily",
        sa.Column("developer_id", _str(length=40), sa.ForeignKey("developers.id"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("model", _str(length=100), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("prompt_tokens", sa.BigInteger(), nullable=False),
        sa.Column("completion_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cost_micros", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("developer_id", "day", "model"),
    )
    op.create_table(
        "spend_limits",
        sa.Column("developer_id", _str(length=40), sa.ForeignKey("developers.id"), nullable=False),
        sa.Column("daily_cap_micros", sa.BigInteger(), nullable=True),
        sa.Column("monthly_cap_micros", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", _time(), nullable=False),
        sa.PrimaryKeyConstraint("developer_id"),
    )
    op.create_table(
        "credit_alerts",
        sa.Column("developer_id", _str(length=40), sa.ForeignKey("developers.id"), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.PrimaryKeyConstraint("developer_id", "grant_id"),
    )
    op.create_table(
        "telemetry_events",
        sa.Column("id", _str(length=40), nullable=False),
        sa.Column("developer_id", _str(length=40), sa.ForeignKey("developers.id"), nullable=False),
        sa.Column("key_id", _str(length=40), nullable=False),
        sa.Column("event", _str(length=60), nullable=False),
        sa.Column("source", _str(length=40), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=True),
        sa.Column("created_at", _time(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_telemetry_dev_time", "telemetry_events", ["developer_id", "created_at"])
    _fill_usage_daily()


def _fill_usage_daily() -> None:
    log = sa.table(
        "request_log",
        sa.column("developer_id", sa.String),
        sa.column("model", sa.String),
        sa.column("status", sa.Integer),
        sa.column("prompt_tokens", sa.Integer),
        sa.column("completion_tokens", sa.Integer),
        sa.column("cost_micros", sa.BigInteger),
        sa.column("created_at", _time()),
    )
    totals: dict[tuple[str, object, str], list[int]] = {}
    rows = op.get_bind().execute(
        sa.select(
            log.c.developer_id,
            log.c.model,
            log.c.status,
            log.c.prompt_tokens,
            log.c.completion_tokens,
            log.c.cost_micros,
            log.c.created_at,
        )
    )
    for developer_id, model, status, prompt, completion, cost, created_at in rows:
        key = (developer_id, created_at.date(), model or "")
        t = totals.setdefault(key, [0, 0, 0, 0, 0])
        t[0] += 1
        t[1] += 1 if status >= 400 else 0
        t[2] += prompt or 0
        t[3] += completion or 0
        t[4] += cost or 0
    if totals:
        op.bulk_insert(
            sa.table(
                "usage_daily",
                *(
                    sa.column(n)
                    for n in (
                        "developer_id",
                        "day",
                        "model",
                        "requests",
                        "errors",
                        "prompt_tokens",
                        "completion_tokens",
                        "cost_micros",
                    )
                ),
            ),
            [
                dict(zip(("developer_id", "day", "model"), k, strict=True))
                | dict(
                    zip(
                        ("requests", "errors", "prompt_tokens", "completion_tokens", "cost_micros"),
                        v,
                        strict=True,
                    )
                )
                for k, v in totals.items()
            ],
        )


def downgrade() -> None:
    op.drop_index("ix_telemetry_dev_time", table_name="telemetry_events")
    for table in ("telemetry_events", "credit_alerts", "spend_limits", "usage_daily"):
        op.drop_table(table)
    for index in (
        "ix_request_log_time",
        "ix_request_log_dev_status_id",
        "ix_request_log_dev_model_id",
        "ix_request_log_dev_id",
    ):
        op.drop_index(index, table_name="request_log")
    op.drop_index("ux_credit_ledger_expiration", table_name="credit_ledger")
    with op.batch_alter_table("credit_ledger") as batch:
        batch.drop_column("note")
        batch.drop_column("expires_at")
