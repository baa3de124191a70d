"""The committed migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine
from sqlmodel import SQLModel

from storage import models  # noqa: F401  (registers the tables)
from storage.db import include_object


def test_models_and_migrations_agree(engine: Engine) -> None:
    """Autogenerate finds nothing to add: every model change has its revision."""
    with engine.connect() as connection:
        options = {"compare_type": True, "include_object": include_object}
        context = MigrationContext.configure(connection, opts=options)
        assert compare_metadata(context, SQLModel.metadata) == []
