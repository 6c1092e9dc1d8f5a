"""debug symbols: blobs, symbol files, presigned upload tokens

Revision ID: 0003_symbols
Revises: 0001_base
Create Date: 2026-11-25 21:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0003_symbols"
down_revision: str | Sequence[str] | None = "0001_base"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_str = sqlmodel.sql.sqltypes.AutoString
_time = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "blobs",
        sa.Column("sha256", _str(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    op.create_table(
        "symbol_files",
        sa.Column("id", _str(length=40), nullable=False),
        sa.Column("developer_id", _str(length=40), nullable=False),
        sa.Column("module_name", _str(length=255), nullable=False),
        sa.Column("module_key", _str(length=255), nullable=False),
        sa.Column("debug_id", _str(length=40), nullable=False),
        sa.Column("slot", _str(length=16), nullable=False),
        sa.Column("file_type", _str(length=8), nullable=False),
        sa.Column("platform", _str(length=32), nullable=False),
        sa.Column("arch", _str(length=32), nullable=True),
        sa.Column("code_id", _str(length=80), nullable=True),
        sa.Column("code_file", _str(length=255), nullable=True),
        sa.Column("code_key", _str(length=80), nullable=True),
        sa.Column("file_name", _str(length=255), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.Column("sha256", _str(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
        sa.ForeignKeyConstraint(["developer_id"], ["developers.id"]),
        sa.ForeignKeyConstraint(["sha256"], ["blobs.sha256"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("developer_id", "module_key", "debug_id", "slot", name="uq_symbol_files_slot"),
    )
    with op.batch_alter_table("symbol_files", schema=None) as batch_op:
        batch_op.create_index("ix_symbol_files_dev_code", ["developer_id", "code_key"], unique=False)
        batch_op.create_index("ix_symbol_files_dev_sha", ["developer_id", "sha256"], unique=False)
        batch_op.create_index("ix_symbol_files_dev_time", ["developer_id", "created_at"], unique=False)
        batch_op.create_index("ix_symbol_files_sha256", ["sha256"], unique=False)

    op.create_table(
        "symbol_upload_tokens",
        sa.Column("token_hash", _str(length=64), nullable=False),
        sa.Column("developer_id", _str(length=40), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("max_size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("expires_at", _time(), nullable=False),
        sa.Column("used_at", _time(), nullable=True),
        sa.ForeignKeyConstraint(["developer_id"], ["developers.id"]),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    with op.batch_alter_table("symbol_upload_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_symbol_upload_tokens_developer_id"), ["developer_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("symbol_upload_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_symbol_upload_tokens_developer_id"))
    op.drop_table("symbol_upload_tokens")
    with op.batch_alter_table("symbol_files", schema=None) as batch_op:
        batch_op.drop_index("ix_symbol_files_sha256")
        batch_op.drop_index("ix_symbol_files_dev_time")
        batch_op.drop_index("ix_symbol_files_dev_sha")
        batch_op.drop_index("ix_symbol_files_dev_code")
    op.drop_table("symbol_files")
    op.drop_table("blobs")
