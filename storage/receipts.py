"""Receipts: which requests were already acted on, so a request Slack repeats is acted on once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlmodel import Session, col

from storage.models import Receipt


def claim_receipt(*, session: Session, team_id: str, key: str, now: datetime) -> bool:
    """Mark the request `key` as acted on; False if it already was.

    Flushed at once: a racing process's claim of the same key fails here with an
    IntegrityError, before anything else of the request is added.
    """
    seen = select(col(Receipt.id)).where(col(Receipt.team_id) == team_id, col(Receipt.key) == key)
    if session.scalars(seen).first() is not None:
        return False
    session.add(Receipt(team_id=team_id, key=key, created_at=now))
    session.flush()
    return True


def release_receipt(*, session: Session, team_id: str, key: str) -> None:
    """Forget the request `key`, so it can be acted on when it comes again."""
    session.execute(delete(Receipt).where(col(Receipt.team_id) == team_id, col(Receipt.key) == key))
