"""request_log: drop the two indexes no query reads (by request id; by developer and time)

Every request-log row updated them on the hot write path; ``GET /v1/logs`` pages by
``(developer_id, id)`` and its model and status indexes, usage reads ``usage_daily``, and pruning
and status read ``ix_request_log_time``.

Revision ID: 0015_request_log_indexes
Revises: 0008_billing
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015_request_log_indexes"
down_revision: str | Sequence[str] | None = "0008_billing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_request_log_request_id", table_name="request_log")
    op.drop_index("ix_request_log_dev_time", table_name="request_log")


def downgrade() -> None:
    op.create_index("ix_request_log_dev_time", "request_log", ["developer_id", "created_at"])
    op.create_index("ix_request_log_request_id", "request_log", ["request_id"])
