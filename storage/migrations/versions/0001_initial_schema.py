"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 14:46:15.695454
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cadence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("channel_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("day_rule", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("at_time", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("zone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("agenda_lead_minutes", sa.Integer(), nullable=False),
        sa.Column("months", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("set_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "kind"),
    )
    op.create_table(
        "collateral",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("tags", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("author_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("channel_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("message_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("collateral", schema=None) as batch_op:
        batch_op.create_index("ix_collateral_team_created", ["team_id", "created_at"], unique=False)

    op.create_table(
        "glossary_term",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("term", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("term_key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("definition", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "term_key"),
    )
    with op.batch_alter_table("glossary_term", schema=None) as batch_op:
        batch_op.create_index(
            "ix_glossary_term_team_updated", ["team_id", "updated_at"], unique=False
        )

    op.create_table(
        "intel_post",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("subject_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("author_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("posted_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("channel_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("permalink", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("intel_post", schema=None) as batch_op:
        batch_op.create_index("ix_intel_post_team_created", ["team_id", "created_at"], unique=False)

    op.create_table(
        "lead_rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("lead_ref", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("lead_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("campaign", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("segment", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("budget", sa.Boolean(), nullable=True),
        sa.Column("authority", sa.Boolean(), nullable=True),
        sa.Column("need", sa.Boolean(), nullable=True),
        sa.Column("timing", sa.Boolean(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("rated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "lead_key", "user_id"),
    )
    with op.batch_alter_table("lead_rating", schema=None) as batch_op:
        batch_op.create_index("ix_lead_rating_team_rated", ["team_id", "rated_at"], unique=False)

    op.create_table(
        "receipt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "key"),
    )
    op.create_table(
        "win_loss",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("deal_ref", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("deal_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("competitor", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("competitor_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("campaign", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("reported_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "deal_key"),
    )
    with op.batch_alter_table("win_loss", schema=None) as batch_op:
        batch_op.create_index("ix_win_loss_team_reported", ["team_id", "reported_at"], unique=False)

    op.create_table(
        "collateral_vote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("collateral_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("vote", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("voted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collateral_id"],
            ["collateral.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("collateral_id", "user_id"),
    )
    with op.batch_alter_table("collateral_vote", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collateral_vote_collateral_id"), ["collateral_id"], unique=False
        )
        batch_op.create_index(
            "ix_collateral_vote_team_voted", ["team_id", "voted_at"], unique=False
        )

    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("cadence_id", sa.Integer(), nullable=False),
        sa.Column("occurrence", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("message_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cadence_id"],
            ["cadence.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("cadence_id", "occurrence", "kind"),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index("ix_delivery_status_lease", ["status", "lease_until"], unique=False)
    _create_intel_search()


def _create_intel_search() -> None:
    """Full-text search over intel posts with the database's own engine."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_intel_post_fts ON intel_post USING GIN "
            "(to_tsvector('english', coalesce(subject, '') || ' ' || text))"
        )
        return
    op.execute(
        "CREATE VIRTUAL TABLE intel_fts USING fts5("
        "subject, text, content='intel_post', content_rowid='id', tokenize='porter unicode61')"
    )
    op.execute(
        "CREATE TRIGGER intel_fts_insert AFTER INSERT ON intel_post BEGIN "
        "INSERT INTO intel_fts(rowid, subject, text) VALUES (new.id, new.subject, new.text); END"
    )
    op.execute(
        "CREATE TRIGGER intel_fts_delete AFTER DELETE ON intel_post BEGIN "
        "INSERT INTO intel_fts(intel_fts, rowid, subject, text) "
        "VALUES ('delete', old.id, old.subject, old.text); END"
    )
    op.execute(
        "CREATE TRIGGER intel_fts_update AFTER UPDATE ON intel_post BEGIN "
        "INSERT INTO intel_fts(intel_fts, rowid, subject, text) "
        "VALUES ('delete', old.id, old.subject, old.text); "
        "INSERT INTO intel_fts(rowid, subject, text) VALUES (new.id, new.subject, new.text); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_intel_post_fts")
    else:
        op.execute("DROP TABLE IF EXISTS intel_fts")
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_status_lease")

    op.drop_table("delivery")
    with op.batch_alter_table("collateral_vote", schema=None) as batch_op:
        batch_op.drop_index("ix_collateral_vote_team_voted")
        batch_op.drop_index(batch_op.f("ix_collateral_vote_collateral_id"))

    op.drop_table("collateral_vote")
    with op.batch_alter_table("win_loss", schema=None) as batch_op:
        batch_op.drop_index("ix_win_loss_team_reported")

    op.drop_table("win_loss")
    op.drop_table("receipt")
    with op.batch_alter_table("lead_rating", schema=None) as batch_op:
        batch_op.drop_index("ix_lead_rating_team_rated")

    op.drop_table("lead_rating")
    with op.batch_alter_table("intel_post", schema=None) as batch_op:
        batch_op.drop_index("ix_intel_post_team_created")

    op.drop_table("intel_post")
    with op.batch_alter_table("glossary_term", schema=None) as batch_op:
        batch_op.drop_index("ix_glossary_term_team_updated")

    op.drop_table("glossary_term")
    with op.batch_alter_table("collateral", schema=None) as batch_op:
        batch_op.drop_index("ix_collateral_team_created")

    op.drop_table("collateral")
    op.drop_table("cadence")
    # ### end Alembic commands ###
