"""Screening analytics: ``analytics_events``, fed from Rasa's event broker.

One row per conversation event that ``python -m bot analytics`` consumed from the
RabbitMQ queue: type, time, a keyed hash of the conversation id, the intent and its
confidence (user events), the action (action events), the input channel. No message
text, no sender id. ``event_key`` is unique so a redelivered event is stored once.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "analytics_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sender_key", sa.String(length=64), nullable=False),
        sa.Column("intent", sa.String(length=128), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("action", sa.String(length=128), nullable=True),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_events")),
        sa.UniqueConstraint("event_key", name=op.f("uq_analytics_events_event_key")),
    )
    with op.batch_alter_table("analytics_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_analytics_events_type_occurred",
            ["event_type", "occurred_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_analytics_events_sender_key"), ["sender_key"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("analytics_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_analytics_events_sender_key"))
        batch_op.drop_index("ix_analytics_events_type_occurred")
    op.drop_table("analytics_events")
