"""NPC threads: threads, messages, recall memories, running summaries, first interactions

Revision ID: 0002_threads
Revises: 0001_base
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0002_threads"
down_revision: str | Sequence[str] | None = "0001_base"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_str = sqlmodel.sql.sqltypes.AutoString
_time = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "threads",
        sa.Column("id", _str(length=40), nullable=False),
        sa.Column("developer_id", _str(length=40), nullable=False),
        sa.Column("kind", _str(length=10), nullable=False),
        sa.Column("npc_id", _str(length=200), nullable=True),
        sa.Column("player_id", _str(length=200), nullable=True),
        sa.Column("npc_template", _str(length=64), nullable=True),
        sa.Column("system_prompt", sa.Text(), nullable=True),
        sa.Column("response_style", _str(length=16), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("participants", sa.JSON(), nullable=True),
        sa.Column("message_count", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_model", _str(length=100), nullable=True),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
        sa.Column("last_message_at", _time(), nullable=True),
        sa.ForeignKeyConstraint(["developer_id"], ["developers.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_threads_dev_npc_player", "threads", ["developer_id", "npc_id", "player_id"])
    op.create_index("ix_threads_dev_created", "threads", ["developer_id", "created_at", "id"])

    op.create_table(
        "thread_messages",
        sa.Column("id", _str(length=40), nullable=False),
        sa.Column("thread_id", sa.String(length=40), nullable=False),
        sa.Column("developer_id", _str(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("role", _str(length=16), nullable=False),
        sa.Column("name", _str(length=200), nullable=True),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("tool_calls", sa.JSON(), nullable=True),
        sa.Column("tool_call_id", _str(length=100), nullable=True),
        sa.Column("model", _str(length=100), nullable=True),
        sa.Column("created_at", _time(), nullable=False),
        sa.ForeignKeyConstraint(["thread_id"], ["threads.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ux_thread_messages_seq", "thread_messages", ["thread_id", "seq"], unique=True)

    op.create_table(
        "thread_memories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.String(length=40), nullable=False),
        sa.Column("developer_id", _str(length=40), nullable=False),
        sa.Column("kind", _str(length=16), nullable=False),
        sa.Column("seq_from", sa.Integer(), nullable=False),
        sa.Column("seq_to", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("importance", sa.Float(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.ForeignKeyConstraint(["thread_id"], ["threads.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_thread_memories_thread", "thread_memories", ["thread_id", "id"])

    op.create_table(
        "thread_summaries",
        sa.Column("thread_id", sa.String(length=40), nullable=False),
        sa.Column("viewer", _str(length=200), nullable=False),
        sa.Column("developer_id", _str(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("upto_seq", sa.Integer(), nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
        sa.ForeignKeyConstraint(["thread_id"], ["threads.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("thread_id", "viewer"),
    )

    op.create_table(
        "npc_interactions",
        sa.Column("developer_id", _str(length=40), nullable=False),
        sa.Column("npc_id", _str(length=200), nullable=False),
        sa.Column("player_id", _str(length=200), nullable=False),
        sa.Column("thread_id", _str(length=40), nullable=False),
        sa.Column("first_at", _time(), nullable=False),
        sa.PrimaryKeyConstraint("developer_id", "npc_id", "player_id"),
    )


def downgrade() -> None:
    op.drop_table("npc_interactions")
    op.drop_table("thread_summaries")
    op.drop_index("ix_thread_memories_thread", table_name="thread_memories")
    op.drop_table("thread_memories")
    op.drop_index("ux_thread_messages_seq", table_name="thread_messages")
    op.drop_table("thread_messages")
    op.drop_index("ix_threads_dev_created", table_name="threads")
    op.drop_index("ix_threads_dev_npc_player", table_name="threads")
    op.drop_table("threads")
