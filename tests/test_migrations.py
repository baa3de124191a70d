"""The committed migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine
from sqlmodel import SQLModel

from storage import models  # noqa: F401  (registers the tables)


def test_models_and_migrations_agree(engine: Engine) -> None:
    """Autogenerate finds nothing to add: every model change has its revision."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    # The full-text search objects are the migration's own, outside the models.
    differences = [d for d in differences if "_fts" not in str(d)]
    assert differences == []
