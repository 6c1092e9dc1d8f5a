"""webhooks: endpoints, deliveries and attempts, and the outbox's dispatch mark

Revision ID: 0012_webhooks
Revises: 0001_base

Events already in the outbox are marked dispatched: no endpoint existed when they happened, so
nobody is owed them, and the dispatcher does not have to walk the history once.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0012_webhooks"
down_revision: str | Sequence[str] | None = "0001_base"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_str = sqlmodel.sql.sqltypes.AutoString
_time = sqlmodel.sql.sqltypes.UTCDateTime
_UNDISPATCHED = "dispatched_at IS NULL"


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", _str(length=40), nullable=False),
        sa.Column("developer_id", _str(length=40), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("description", _str(length=500), nullable=False),
        sa.Column("environment", _str(length=10), nullable=False),
        sa.Column("secret", _str(length=100), nullable=False),
        sa.Column("previous_secret", _str(length=100), nullable=True),
        sa.Column("previous_secret_expires_at", _time(), nullable=True),
        sa.Column("status", _str(length=10), nullable=False),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("disabled_at", _time(), nullable=True),
        sa.Column("failing_since", _time(), nullable=True),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
        sa.ForeignKeyConstraint(["developer_id"], ["developers.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_webhook_endpoints_dev", "webhook_endpoints", ["developer_id", "created_at"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", _str(length=40), nullable=False),
        sa.Column("developer_id", _str(length=40), nullable=False),
        sa.Column("webhook_id", _str(length=40), nullable=False),
        sa.Column("event_id", _str(length=40), nullable=False),
        sa.Column("event_type", _str(length=60), nullable=False),
        sa.Column("thread_id", _str(length=40), nullable=True),
        sa.Column("lane", _str(length=40), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("status", _str(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _time(), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("redelivery_of", _str(length=40), nullable=True),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("finished_at", _time(), nullable=True),
        sa.ForeignKeyConstraint(["developer_id"], ["developers.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_webhook_deliveries_dev", "webhook_deliveries", ["developer_id", "created_at"])
    op.create_index(
        "ix_webhook_deliveries_lane", "webhook_deliveries", ["webhook_id", "lane", "status", "seq"]
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True),
        sa.Column("delivery_id", _str(length=40), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("started_at", _time(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("response_excerpt", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_webhook_attempts_delivery", "webhook_attempts", ["delivery_id", "attempt"])
    op.add_column("events", sa.Column("dispatched_at", _time(), nullable=True))
    op.execute("UPDATE events SET dispatched_at = created_at")
    op.create_index(
        "ix_events_undispatched",
        "events",
        ["created_at"],
        sqlite_where=sa.text(_UNDISPATCHED),
        postgresql_where=sa.text(_UNDISPATCHED),
    )


def downgrade() -> None:
    op.drop_index("ix_events_undispatched", table_name="events")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("dispatched_at")
    op.drop_index("ix_webhook_attempts_delivery", table_name="webhook_attempts")
    op.drop_table("webhook_attempts")
    op.drop_index("ix_webhook_deliveries_lane", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_dev", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_index("ix_webhook_endpoints_dev", table_name="webhook_endpoints")
    op.drop_table("webhook_endpoints")
