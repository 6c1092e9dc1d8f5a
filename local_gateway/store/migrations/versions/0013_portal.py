"""portal: magic-link tokens, portal sessions, and the developer's acceptance of the terms

Revision ID: 0013_portal
Revises: 0001_base

Developers that exist before this migration were made locally or by an operator
(``admin create-key``): they count as having accepted the terms, so existing keys keep working.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0013_portal"
down_revision: str | Sequence[str] | None = "0001_base"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_str = sqlmodel.sql.sqltypes.AutoString
_time = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("developers") as batch:
        batch.add_column(sa.Column("tos_accepted_at", _time(), nullable=True))
    op.execute("UPDATE developers SET tos_accepted_at = created_at")
    op.create_table(
        "magic_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", _str(length=64), nullable=False),
        sa.Column("email", _str(length=320), nullable=False),
        sa.Column("ip", _str(length=64), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("expires_at", _time(), nullable=False),
        sa.Column("used_at", _time(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_magic_links_email_time", "magic_links", ["email", "created_at"])
    op.create_index("ix_magic_links_ip_time", "magic_links", ["ip", "created_at"])
    op.create_table(
        "portal_sessions",
        sa.Column("id", _str(length=40), nullable=False),
        sa.Column("token_hash", _str(length=64), nullable=False),
        sa.Column("developer_id", _str(length=40), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("expires_at", _time(), nullable=False),
        sa.Column("ended_at", _time(), nullable=True),
        sa.ForeignKeyConstraint(["developer_id"], ["developers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_portal_sessions_developer_id", "portal_sessions", ["developer_id"])


def downgrade() -> None:
    op.drop_table("portal_sessions")
    op.drop_table("magic_links")
    with op.batch_alter_table("developers") as batch:
        batch.drop_column("tos_accepted_at")
