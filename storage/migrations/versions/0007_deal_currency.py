"""a deal's currency, as its report gave it

Revision ID: 0007
Revises: 0003
Create Date: 2026-11-30 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("win_loss") as batch:
        batch.add_column(
            sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("win_loss") as batch:
        batch.drop_column("currency")
