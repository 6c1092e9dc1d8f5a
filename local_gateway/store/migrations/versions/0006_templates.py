"""NPC templates a developer owns (with every version), and the version a thread was made from

Revision ID: 0006_templates
Revises: 0002_threads

Existing threads were all made from built-in templates, which have no stored versions: their
new ``npc_template_version`` stays null, which is what a built-in template's thread records.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0006_templates"
down_revision: str | Sequence[str] | None = "0002_threads"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_str = sqlmodel.sql.sqltypes.AutoString
_time = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "npc_templates",
        sa.Column("developer_id", _str(length=40), nullable=False),
        sa.Column("id", _str(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
        sa.ForeignKeyConstraint(["developer_id"], ["developers.id"]),
        sa.PrimaryKeyConstraint("developer_id", "id"),
    )
    op.create_table(
        "npc_template_versions",
        sa.Column("developer_id", _str(length=40), nullable=False),
        sa.Column("template_id", _str(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", _str(length=100), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("system_prompt", sa.Text(), nullable=False),
        sa.Column("response_style", _str(length=16), nullable=False),
        sa.Column("default_model", _str(length=100), nullable=True),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("examples", sa.JSON(), nullable=False),
        sa.Column("state_schema", sa.JSON(), nullable=True),
        sa.Column("created_at", _time(), nullable=False),
        sa.PrimaryKeyConstraint("developer_id", "template_id", "version"),
    )
    op.add_column("threads", sa.Column("npc_template_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("threads") as batch:
        batch.drop_column("npc_template_version")
    op.drop_table("npc_template_versions")
    op.drop_table("npc_templates")
