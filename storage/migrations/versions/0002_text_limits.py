"""columns sized to what the parsers accept (storage/limits.py)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 08:00:00
"""

from __future__ import annotations

import sqlmodel
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# (table, column, length before, length now)
_CHANGES = [
    ("glossary_term", "definition", 3000, 2500),
    ("intel_post", "text", 4000, 3000),
    ("lead_rating", "reason", 4000, 3000),
    ("win_loss", "reason", 4000, 3000),
]

# SQLite rebuilds a table to change a column, and the rebuild drops its triggers:
# these keep intel_post's full-text index in step (as made in 0001).
_SQLITE_INTEL_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS intel_fts_insert AFTER INSERT ON intel_post BEGIN "
    "INSERT INTO intel_fts(rowid, subject, text) VALUES (new.id, new.subject, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS intel_fts_delete AFTER DELETE ON intel_post BEGIN "
    "INSERT INTO intel_fts(intel_fts, rowid, subject, text) "
    "VALUES ('delete', old.id, old.subject, old.text); END",
    "CREATE TRIGGER IF NOT EXISTS intel_fts_update AFTER UPDATE ON intel_post BEGIN "
    "INSERT INTO intel_fts(intel_fts, rowid, subject, text) "
    "VALUES ('delete', old.id, old.subject, old.text); "
    "INSERT INTO intel_fts(rowid, subject, text) VALUES (new.id, new.subject, new.text); END",
)


def _resize(*, up: bool) -> None:
    for table, column, old, new in _CHANGES:
        source, target = (old, new) if up else (new, old)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column,
                existing_type=sqlmodel.sql.sqltypes.AutoString(length=source),
                type_=sqlmodel.sql.sqltypes.AutoString(length=target),
                existing_nullable=False,
            )
    if op.get_bind().dialect.name == "sqlite":
        for trigger in _SQLITE_INTEL_TRIGGERS:
            op.execute(trigger)


def upgrade() -> None:
    _resize(up=True)


def downgrade() -> None:
    _resize(up=False)

