"""The outbox: events for a workspace's receiver, written in the transaction of the change.

An event's life: `pending` (to send at or after `next_attempt_at`; while a sender holds it,
`lease_until` keeps others off) -> `delivered`, or `failed` once retries ran out. Events
of one lead go out in order: only the oldest pending event of each lead is ever due.
`attempts` is the fencing token, as in storage.deliveries.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from storage.leases import settle, take
from storage.models import HandoffSetup, OutboxEvent

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"


def stamp(at: datetime) -> str:
    """An instant as events carry it: ISO 8601 in UTC, `2026-11-30T09:15:00Z`."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def receiver_of(*, session: Session, team_id: str) -> HandoffSetup | None:
    """The workspace's setup if it has a receiver for events, else None."""
    setup = session.scalars(
        select(HandoffSetup).where(col(HandoffSetup.team_id) == team_id)
    ).first()
    return setup if setup is not None and setup.notify_url else None


def add_event(
    *, session: Session, team_id: str, lead_key: str, payload: dict[str, Any], now: datetime
) -> str | None:
    """Queue `payload` (with a new `id`) for the workspace's receiver; None if it has none."""
    if receiver_of(session=session, team_id=team_id) is None:
        return None
    event_id = str(uuid.uuid4())
    body = json.dumps({"id": event_id, **payload}, separators=(",", ":"), ensure_ascii=False)
    session.add(
        OutboxEvent(
            event_id=event_id,
            team_id=team_id,
            lead_key=lead_key,
            body=body,
            next_attempt_at=now,
            created_at=now,
        )
    )
    return event_id


def due_events(*, session: Session, now: datetime, limit: int = 200) -> Sequence[OutboxEvent]:
    """The oldest pending event of each lead, where it is time to send it and nobody holds it."""
    heads = (
        select(func.min(col(OutboxEvent.id)))
        .where(col(OutboxEvent.status) == PENDING)
        .group_by(col(OutboxEvent.team_id), col(OutboxEvent.lead_key))
    )
    return session.scalars(
        select(OutboxEvent)
        .where(
            col(OutboxEvent.id).in_(heads),
            col(OutboxEvent.next_attempt_at) <= now,
            or_(col(OutboxEvent.lease_until).is_(None), col(OutboxEvent.lease_until) < now),
        )
        .order_by(col(OutboxEvent.id))
        .limit(limit)
    ).all()


def claim_event(
    *, session: Session, event: OutboxEvent, now: datetime, lease: timedelta
) -> OutboxEvent | None:
    """Take the event for sending until `now + lease`; None if another sender has it."""
    if not take(session, OutboxEvent, event, still=PENDING, now=now, lease=lease):
        return None
    session.expire_all()
    return session.get(OutboxEvent, event.id)


def mark_delivered(*, session: Session, event: OutboxEvent, now: datetime) -> bool:
    """Record that the receiver took the event; False if our claim was lost meanwhile."""
    values = {"status": DELIVERED, "delivered_at": now, "lease_until": None, "last_error": None}
    return settle(session, OutboxEvent, event, still=PENDING, **values)


def mark_failed_try(
    *, session: Session, event: OutboxEvent, error: str, retry_at: datetime | None
) -> bool:
    """Record a failed try: again at `retry_at`, or never (`None`: retries ran out)."""
    values: dict[str, Any] = {"last_error": error[:500], "lease_until": None}
    if retry_at is None:
        values["status"] = FAILED
    else:
        values["next_attempt_at"] = retry_at
    return settle(session, OutboxEvent, event, still=PENDING, **values)
