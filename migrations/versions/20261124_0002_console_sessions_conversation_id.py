"""Staff console: server-side sessions; screenings learn their conversation.

``screenings.conversation_id`` holds the tracker store's sender id, encrypted like
contact details (a Fernet token in a TEXT column), so the console can show the
transcript. ``screenings.purged_at`` records when the retention job removed a
screening's answers and transcript. ``staff_sessions`` holds console sessions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 23:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("screenings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("conversation_id", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True)
        )

    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["staff_users.id"],
            name=op.f("fk_staff_sessions_user_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_sessions")),
    )
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_sessions_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_sessions_user_id"))
    op.drop_table("staff_sessions")

    with op.batch_alter_table("screenings", schema=None) as batch_op:
        batch_op.drop_column("purged_at")
        batch_op.drop_column("conversation_id")
