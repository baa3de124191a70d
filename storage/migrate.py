"""Bringing the schema up to date at a process's start, or stopping it with one line."""

from __future__ import annotations

import sys

from sqlalchemy import Engine

from storage.db import migrate


def migrate_or_exit(engine: Engine) -> None:
    """Migrate, or stop the process with one line saying why."""
    try:
        migrate(engine)
    except Exception as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(
            f"tandem: cannot bring the database up to date (DATABASE_URL): {reason}",
            file=sys.stderr,
        )
        raise SystemExit(1) from None
