"""stripe: booked Stripe events (idempotency by event id) and developers' Stripe customers

Revision ID: 0014_stripe
Revises: 0001_base
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0014_stripe"
down_revision: str | Sequence[str] | None = "0001_base"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_str = sqlmodel.sql.sqltypes.AutoString
_time = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "stripe_events",
        sa.Column("id", _str(length=255), nullable=False),
        sa.Column("type", _str(length=100), nullable=False),
        sa.Column("developer_id", _str(length=40), nullable=True),
        sa.Column("amount_micros", sa.BigInteger(), nullable=False),
        sa.Column("received_at", _time(), nullable=False),
        sa.ForeignKeyConstraint(["developer_id"], ["developers.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "stripe_customers",
        sa.Column("developer_id", _str(length=40), nullable=False),
        sa.Column("customer_id", _str(length=255), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.ForeignKeyConstraint(["developer_id"], ["developers.id"]),
        sa.PrimaryKeyConstraint("developer_id"),
        sa.UniqueConstraint("customer_id"),
    )


def downgrade() -> None:
    op.drop_table("stripe_customers")
    op.drop_table("stripe_events")
