"""Crash reports, their groups by fingerprint, the symbols they lack, and debug sessions

Revision ID: 0011_crashes
Revises: 0001_base
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0011_crashes"
down_revision: str | Sequence[str] | None = "0001_base"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CRASH_INDEXES = {
    "ix_crash_reports_dev_time": ["developer_id", "created_at", "id"],
    "ix_crash_reports_dev_status_time": ["developer_id", "status", "created_at"],
    "ix_crash_reports_dev_game_time": ["developer_id", "game_id", "created_at"],
    "ix_crash_reports_dev_sha": ["developer_id", "minidump_sha256"],
    "ix_crash_reports_dev_fp_time": ["developer_id", "fingerprint", "created_at"],
    "ix_crash_reports_window": ["developer_id", "created_at", "fingerprint", "game_id"],
    "ix_crash_reports_dups": ["developer_id", "duplicate_of", "game_id", "minidump_size"],
}


def upgrade() -> None:
    op.create_table(
        "crash_groups",
        sa.Column("developer_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("first_seen", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_seen", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("latest_crash_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("resolved_version", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("resolved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("regressed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["developer_id"],
            ["developers.id"],
        ),
        sa.PrimaryKeyConstraint("developer_id", "fingerprint"),
    )
    op.create_table(
        "crash_group_games",
        sa.Column("developer_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("game_key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("first_seen", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_seen", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("platforms", sa.JSON(), nullable=False),
        sa.Column("versions", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["developer_id"], ["developers.id"]),
        sa.PrimaryKeyConstraint("developer_id", "fingerprint", "game_key"),
    )
    op.create_table(
        "crash_counts",
        sa.Column("developer_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("game_key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("processing", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("platform_key", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["developer_id"], ["developers.id"]),
        sa.PrimaryKeyConstraint("developer_id", "game_key", "status", "processing", "platform_key"),
    )
    op.create_table(
        "crash_missing_symbols",
        sa.Column("developer_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("module_key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("debug_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("crash_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["developer_id"],
            ["developers.id"],
        ),
        sa.PrimaryKeyConstraint("developer_id", "module_key", "debug_id", "crash_id"),
    )
    op.create_table(
        "crash_reports",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("developer_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("game_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("engine", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("build", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("processing", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("processing_error", sa.Text(), nullable=True),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("crash_reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("stack_trace", sa.JSON(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("minidump_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("minidump_size", sa.BigInteger(), nullable=True),
        sa.Column("minidump_stored", sa.Boolean(), nullable=False),
        sa.Column("duplicate_of", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("regression", sa.Boolean(), nullable=False),
        sa.Column("analysis", sa.JSON(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("processed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["developer_id"],
            ["developers.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("crash_reports", schema=None) as batch_op:
        for name, columns in _CRASH_INDEXES.items():
            batch_op.create_index(name, columns, unique=False)

    op.create_table(
        "debug_sessions",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("developer_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("engine", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("archived_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["developer_id"],
            ["developers.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("debug_sessions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_debug_sessions_dev_time", ["developer_id", "created_at", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("debug_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_debug_sessions_dev_time")

    op.drop_table("debug_sessions")
    with op.batch_alter_table("crash_reports", schema=None) as batch_op:
        for name in _CRASH_INDEXES:
            batch_op.drop_index(name)

    op.drop_table("crash_reports")
    op.drop_table("crash_missing_symbols")
    op.drop_table("crash_group_games")
    op.drop_table("crash_counts")
    op.drop_table("crash_groups")
