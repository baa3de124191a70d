"""`python -m storage.migrate`: bring the schema up to date (the Procfile's release step)."""

from __future__ import annotations

import sys

from sqlalchemy import Engine

from bot.config import load_settings
from storage.db import make_engine, migrate


def migrate_or_exit(engine: Engine) -> None:
    """Migrate, or stop the process with one line saying why."""
    try:
        migrate(engine)
    except Exception as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(f"tandem: cannot bring the database up to date: {reason}", file=sys.stderr)
        raise SystemExit(1) from None


def main() -> None:
    settings = load_settings(slack=False)
    engine = make_engine(settings.database_url)
    migrate_or_exit(engine)
    engine.dispose()
    print("tandem: the database schema is up to date")


if __name__ == "__main__":
    main()
