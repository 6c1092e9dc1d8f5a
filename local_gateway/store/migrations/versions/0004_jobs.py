"""jobs: the one queue of background work (claims, leases, retries, dedupe keys)

Revision ID: 0004_jobs
Revises: 0001_base
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0004_jobs"
down_revision: str | Sequence[str] | None = "0001_base"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_str = sqlmodel.sql.sqltypes.AutoString
_time = sqlmodel.sql.sqltypes.UTCDateTime
# Spelled out rather than imported: a migration keeps meaning what it meant when it was written.
_PENDING = "status IN ('queued', 'running')"


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True),
        sa.Column("kind", _str(length=60), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", _str(length=10), nullable=False),
        sa.Column("run_at", _time(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_by", _str(length=120), nullable=True),
        sa.Column("locked_until", _time(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("dedupe_key", _str(length=300), nullable=True),
        sa.Column("rerun", sa.Boolean(), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("finished_at", _time(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_jobs_status_run_at", "jobs", ["status", "run_at"])
    op.create_index(
        "ux_jobs_dedupe_pending",
        "jobs",
        ["dedupe_key"],
        unique=True,
        sqlite_where=sa.text(_PENDING),
        postgresql_where=sa.text(_PENDING),
    )


def downgrade() -> None:
    op.drop_index("ux_jobs_dedupe_pending", table_name="jobs")
    op.drop_index("ix_jobs_status_run_at", table_name="jobs")
    op.drop_table("jobs")
