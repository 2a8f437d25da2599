"""Staff console in Chinese and English: each account remembers its language.

``staff_users.language`` holds the console language the person chose with the
中文 / English switch ("zh" or "en"); NULL until they choose, when the site's
language (``SITE_LANGUAGE``) applies. Existing accounts keep NULL.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08 01:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_staff_users_language"), "language IN ('en', 'zh')"
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_staff_users_language"), type_="check")
        batch_op.drop_column("language")
