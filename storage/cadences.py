"""Meeting cadences: where and when each workspace holds its monthly and quarterly meeting."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from storage.models import Cadence


def set_cadence(
    *,
    session: Session,
    team_id: str,
    kind: str,
    channel_id: str,
    schedule: Mapping[str, Any],
    set_by: str,
    now: datetime,
) -> Cadence:
    """Make `channel_id` the home of the `kind` meeting, replacing any earlier one.

    `schedule` holds the columns that say when (core.meetings.cadence_fields makes them).

    The row is updated in place, so the clock's record of what it posted for it stays attached.
    """
    fields: dict[str, Any] = {
        **schedule,
        "channel_id": channel_id,
        "active": True,
        "set_by": set_by,
        "updated_at": now,
    }
    cadence = find_cadence(session=session, team_id=team_id, kind=kind)
    if cadence is None:
        cadence = Cadence(team_id=team_id, kind=kind, **fields)
    else:
        cadence.sqlmodel_update(fields)
    session.add(cadence)
    session.flush()
    return cadence


def turn_off(*, session: Session, team_id: str, kind: str) -> str | None:
    """Stop the `kind` meeting; the channel it was held in, or None if none was active."""
    cadence = find_cadence(session=session, team_id=team_id, kind=kind)
    if cadence is None or not cadence.active:
        return None
    cadence.active = False
    session.add(cadence)
    session.flush()
    return cadence.channel_id


def find_cadence(*, session: Session, team_id: str, kind: str) -> Cadence | None:
    """The workspace's `kind` cadence, whether active or turned off."""
    return session.scalars(
        select(Cadence).where(col(Cadence.team_id) == team_id, col(Cadence.kind) == kind)
    ).first()


def active_cadences(*, session: Session, team_id: str | None = None) -> Sequence[Cadence]:
    """The active cadences of one workspace, or of every workspace (for the clock)."""
    query = select(Cadence).where(col(Cadence.active))
    if team_id is not None:
        query = query.where(col(Cadence.team_id) == team_id)
    return session.scalars(query.order_by(col(Cadence.team_id), col(Cadence.kind))).all()
