"""Compare-and-set on rows that one worker at a time holds for a while (a lease).

Such a row has `id`, `status`, `attempts` and `lease_until`. Taking it over counts one
more attempt, and `attempts` is the fencing token: an update by a holder whose lease ran
out and was taken over matches no row, and it learns so (False).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import Session


def _still(model: Any, row: Any, status: str) -> list[Any]:
    return [model.id == row.id, model.attempts == row.attempts, model.status == status]


def take(
    session: Session, model: Any, row: Any, *, still: str, now: datetime, lease: timedelta
) -> bool:
    """Hold `row` until `now + lease` if its status is still `still` and nobody holds it."""
    free = or_(model.lease_until.is_(None), model.lease_until < now)
    statement = (
        update(model)
        .where(*_still(model, row, still), free)
        .values(attempts=model.attempts + 1, lease_until=now + lease)
    )
    return bool(session.connection().execute(statement).rowcount)


def settle(session: Session, model: Any, row: Any, *, still: str, **values: Any) -> bool:
    """Update a row we hold, if its status is still `still` and it is ours; whether it was."""
    statement = update(model).where(*_still(model, row, still)).values(**values)
    return bool(session.connection().execute(statement).rowcount)
