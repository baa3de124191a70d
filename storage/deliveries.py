"""Delivery rows: claiming a reminder before posting it, so each is posted once.

A row's life: `claimed` (leased to one poster until `lease_until`; nothing in Slack yet)
-> `posted` (the top-level message is in Slack, its ts in `message_ts`) -> `posted:K`
(and K thread replies) -> `done`. Or `skipped`: missed for good, never to be posted.
Every state but `done` and `skipped` is in flight: whoever holds the lease may move it
on, and once the lease has expired anyone may take it over (a crashed poster's work).

`attempts` counts claims and serves as the fencing token: a poster whose lease ran out
and was taken over finds its updates match no row, and stops.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import Update, or_, select, update
from sqlmodel import Session, col

from storage.db import on_conflict_insert
from storage.models import Delivery


class Status(StrEnum):
    """A delivery row's `status`; besides these, `posted:K` (see `posted_with`)."""

    CLAIMED = "claimed"
    POSTED = "posted"
    DONE = "done"
    SKIPPED = "skipped"


FINISHED = (Status.DONE, Status.SKIPPED)
_KEY = ("cadence_id", "occurrence", "kind")

Key = tuple[int, datetime, str]  # (cadence_id, occurrence, kind): the row's unique key


class ReminderKey(Protocol):
    """One reminder of one meeting occurrence: what a delivery row is kept for."""

    @property
    def team_id(self) -> str: ...
    @property
    def cadence_id(self) -> int: ...
    @property
    def occurrence(self) -> datetime: ...
    @property
    def post(self) -> str: ...  # which reminder: stored in the row's `kind` column


def key_of(reminder: ReminderKey) -> Key:
    return (reminder.cadence_id, reminder.occurrence, reminder.post)


def finished(*, session: Session, reminders: Iterable[ReminderKey]) -> set[Key]:
    """The keys of those reminders that are done or skipped, in one query."""
    keys = {key_of(reminder) for reminder in reminders}
    if not keys:
        return set()
    found = session.execute(
        select(col(Delivery.cadence_id), col(Delivery.occurrence), col(Delivery.kind)).where(
            col(Delivery.cadence_id).in_({key[0] for key in keys}),
            col(Delivery.occurrence).in_({key[1] for key in keys}),
            col(Delivery.status).in_(FINISHED),
        )
    )
    return {(row[0], row[1], row[2]) for row in found} & keys


def posted_with(replies: int) -> str:
    """The status of a delivery whose top-level message and first `replies` replies are in Slack."""
    return f"{Status.POSTED}:{replies}"


def replies_posted(delivery: Delivery) -> int:
    """How many thread replies of a `posted` delivery are already in Slack."""
    _, _, count = delivery.status.partition(":")
    return int(count) if count else 0


def _where(reminder: ReminderKey) -> list[Any]:
    return [
        col(Delivery.cadence_id) == reminder.cadence_id,
        col(Delivery.occurrence) == reminder.occurrence,
        col(Delivery.kind) == reminder.post,
    ]


def _insert_new(session: Session, reminder: ReminderKey, **values: Any) -> bool:
    """INSERT the reminder's row unless it has one; whether it was inserted."""
    row = {"team_id": reminder.team_id, **dict(zip(_KEY, key_of(reminder), strict=True))}
    statement = (
        on_conflict_insert(session)(Delivery)
        .values(**row, **values)
        .on_conflict_do_nothing(index_elements=_KEY)
    )
    # RETURNING, not the row count: PostgreSQL's count is -1 behind an implicit RETURNING.
    return session.execute(statement.returning(col(Delivery.id))).first() is not None


def _held(lease_until: datetime | None, now: datetime) -> bool:
    return lease_until is not None and lease_until >= now


def _expired(now: datetime) -> Any:
    return or_(col(Delivery.lease_until).is_(None), col(Delivery.lease_until) < now)


def _changed(session: Session, statement: Update) -> bool:
    return bool(session.connection().execute(statement).rowcount)


def claim(
    *, session: Session, reminder: ReminderKey, now: datetime, lease: timedelta
) -> Delivery | None:
    """Take the reminder for posting until `now + lease`, or None if it isn't ours to post.

    It is ours if no one has claimed it, or if a claim in flight has an expired lease.
    Commit before posting: the committed row is what keeps the others off.
    """
    existing = session.scalars(select(Delivery).where(*_where(reminder))).first()
    if existing is None:
        taken = _insert_new(
            session,
            reminder,
            status=Status.CLAIMED,
            attempts=1,
            lease_until=now + lease,
            updated_at=now,
        )
    elif existing.status in FINISHED or _held(existing.lease_until, now):
        return None
    else:
        # Compare-and-set: of two clocks taking over the same expired claim, one wins.
        taken = _changed(
            session,
            update(Delivery)
            .where(col(Delivery.id) == existing.id, col(Delivery.attempts) == existing.attempts)
            .where(col(Delivery.status).not_in(FINISHED), _expired(now))
            .values(attempts=Delivery.attempts + 1, lease_until=now + lease, updated_at=now),
        )
    if not taken:
        return None
    session.expire_all()
    return session.scalars(select(Delivery).where(*_where(reminder))).one()


def advance(
    *,
    session: Session,
    delivery: Delivery,
    status: str,
    now: datetime,
    lease_until: datetime | None,
    message_ts: str | None = None,
) -> bool:
    """Record progress of a claim we hold; False if it was taken over meanwhile."""
    values: dict[str, Any] = {"status": status, "lease_until": lease_until, "updated_at": now}
    if message_ts is not None:
        values["message_ts"] = message_ts
    return _changed(session, _ours(delivery).values(**values))


def release(*, session: Session, delivery: Delivery, now: datetime, retry_at: datetime) -> bool:
    """Give a claim back, as far as it got, for a run at or after `retry_at` to finish."""
    return _changed(session, _ours(delivery).values(lease_until=retry_at, updated_at=now))


def _ours(delivery: Delivery) -> Update:
    """An update of the row only while our claim on it stands."""
    return update(Delivery).where(
        col(Delivery.id) == delivery.id,
        col(Delivery.attempts) == delivery.attempts,
        col(Delivery.status).not_in(FINISHED),
    )


def record_skip(*, session: Session, reminder: ReminderKey, now: datetime) -> bool:
    """Mark a missed reminder skipped for good; whether this call is what marked it.

    A claim in flight with nothing posted and an expired lease is skipped too; one that
    got its top-level message out is left as it is.
    """
    existing = session.scalars(select(col(Delivery.status)).where(*_where(reminder))).first()
    if existing is None:
        return _insert_new(session, reminder, status=Status.SKIPPED, attempts=0, updated_at=now)
    if existing != Status.CLAIMED:
        return False
    return _changed(
        session,
        update(Delivery)
        .where(*_where(reminder), col(Delivery.status) == Status.CLAIMED, _expired(now))
        .values(status=Status.SKIPPED, lease_until=None, updated_at=now),
    )
