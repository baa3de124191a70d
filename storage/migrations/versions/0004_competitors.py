"""competitor cards and aliases

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 09:45:00.000000
"""

from __future__ import annotations

import re

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# storage.competitors.competitor_name as of this revision, frozen here so the data step
# means the same whatever the code later becomes.
_PREFIX = re.compile(r"^\s*competitor\s*:\s*", re.IGNORECASE)


def _name(text: str) -> str:
    return " ".join(_PREFIX.sub("", " ".join(text.split())).split())


def _renormalise(table: str, name: str, key: str, where: str) -> None:
    """Give rows stored before this revision the one competitor key (case, spacing and a
    `competitor:` prefix no longer matter), their shown name cleaned the same way."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(f"SELECT id, {name}, {key} FROM {table} WHERE {name} IS NOT NULL AND {where}")
    ).all()
    for row_id, shown, stored in rows:
        clean = _name(shown)
        if clean and (clean != shown or clean.casefold() != stored):
            connection.execute(
                sa.text(f"UPDATE {table} SET {name} = :name, {key} = :key WHERE id = :id"),
                {"name": clean, "key": clean.casefold(), "id": row_id},
            )


def upgrade() -> None:
    op.create_table(
        "competitor_alias",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("alias_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("alias", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("competitor_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "alias_key"),
    )
    with op.batch_alter_table("competitor_alias", schema=None) as batch_op:
        batch_op.create_index(
            "ix_competitor_alias_team_competitor", ["team_id", "competitor_key"], unique=False
        )

    op.create_table(
        "competitor_card",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("competitor_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("why_win", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("why_lose", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("pitch", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("answer", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("reviewed_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("reviewed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "competitor_key"),
    )
    # Plain CREATE INDEX, not a batch: on SQLite a batch may copy the table, and
    # intel_post's full-text triggers would not come along.
    op.create_index(
        "ix_intel_post_team_subject", "intel_post", ["team_id", "subject_key", "created_at"]
    )
    op.create_index("ix_win_loss_team_competitor", "win_loss", ["team_id", "competitor_key"])
    _renormalise("intel_post", "subject", "subject_key", "kind = 'competitor'")
    _renormalise("win_loss", "competitor", "competitor_key", "1 = 1")


def downgrade() -> None:
    op.drop_index("ix_win_loss_team_competitor", table_name="win_loss")
    op.drop_index("ix_intel_post_team_subject", table_name="intel_post")
    op.drop_table("competitor_card")
    with op.batch_alter_table("competitor_alias", schema=None) as batch_op:
        batch_op.drop_index("ix_competitor_alias_team_competitor")
    op.drop_table("competitor_alias")
