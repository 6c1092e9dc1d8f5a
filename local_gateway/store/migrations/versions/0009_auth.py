"""auth: key rotation with a grace period (expand only: two nullable columns)

Revision ID: 0009_auth
Revises: 0001_base
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0009_auth"
down_revision: str | Sequence[str] | None = "0001_base"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable and unread by older code: processes still running the previous release keep
    # serving while this runs (a rotated key is then refused by them only once revoked).
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("replaced_by", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("replaced_by")
        batch.drop_column("expires_at")
