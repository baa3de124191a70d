"""`python -m bot.migrate`: bring the schema up to date (the Procfile's release step)."""

from __future__ import annotations

from bot.config import load_settings
from storage.db import make_engine
from storage.migrate import migrate_or_exit


def main() -> None:
    settings = load_settings(slack=False)
    engine = make_engine(settings.database_url)
    migrate_or_exit(engine)
    engine.dispose()
    print("tandem: the database schema is up to date")


if __name__ == "__main__":
    main()
