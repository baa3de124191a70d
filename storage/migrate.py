"""`python -m storage.migrate`: bring the schema up to date (the Procfile's release step)."""

from __future__ import annotations

import sys

from bot.config import load_settings
from storage.db import make_engine, migrate


def main() -> None:
    settings = load_settings(slack=False)
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
    except Exception as error:
        print(
            f"tandem: cannot bring the database up to date: {error}".splitlines()[0],
            file=sys.stderr,
        )
        raise SystemExit(1) from None
    finally:
        engine.dispose()
    print("tandem: the database schema is up to date")


if __name__ == "__main__":
    main()
