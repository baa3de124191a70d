"""The clock's daily retention run (TANDEM_RETENTION_DAYS), once a day however many clocks run.

The first clock run of each UTC day claims that day (a receipt, so two clocks or a `--once`
every minute still purge once), then deletes what is older than the retention in batches.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from storage.db import session_scope
from storage.receipts import claim_receipt
from storage.retention import purge

logger = logging.getLogger("scheduler")

# Receipts are per workspace; the day's claim belongs to none.
_NO_WORKSPACE = ""


def run_retention(*, engine: Engine, days: int | None, now: datetime) -> dict[str, int] | None:
    """Delete records older than `days` if no run has yet today; what went, or None when
    retention is off or today's run was done."""
    if days is None:
        return None
    try:
        with session_scope(engine) as session:
            key = f"retention:{now:%Y-%m-%d}"
            if not claim_receipt(session=session, team_id=_NO_WORKSPACE, key=key, now=now):
                return None
    except IntegrityError:  # another clock claimed the day at the same moment
        return None
    deleted = purge(engine=engine, before=now - timedelta(days=days))
    if deleted:
        gone = ", ".join(f"{count:,} {name}" for name, count in deleted.items())
        logger.info("retention (%d days): deleted %s", days, gone)
    return deleted
