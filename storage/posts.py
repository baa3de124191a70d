"""Posts about a handoff (its card, its SLA reminder), each claimed before it is posted.

The same discipline as meeting reminders (storage.deliveries): a row is `claimed` by one
poster until `lease_until`, then `done`. A claim whose lease ran out (a poster that died,
or Slack kept refusing) may be taken over by anyone; `attempts` is the fencing token.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, or_, select, update
from sqlmodel import Session, col

from storage.db import on_conflict_insert
from storage.models import Handoff, HandoffPost

CARD = "card"
REMINDER = "reminder"
CLAIMED = "claimed"
DONE = "done"


def claim_new(
    *, session: Session, team_id: str, handoff_id: int, what: str, now: datetime, lease: timedelta
) -> HandoffPost | None:
    """Claim a post nobody has claimed yet; None if it already has a row."""
    statement = (
        on_conflict_insert(session)(HandoffPost)
        .values(
            team_id=team_id,
            handoff_id=handoff_id,
            what=what,
            status=CLAIMED,
            attempts=1,
            lease_until=now + lease,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["handoff_id", "what"])
    )
    if session.execute(statement.returning(col(HandoffPost.id))).first() is None:
        return None
    return _row(session, handoff_id, what)


def _row(session: Session, handoff_id: int, what: str) -> HandoffPost | None:
    return session.scalars(
        select(HandoffPost).where(
            col(HandoffPost.handoff_id) == handoff_id, col(HandoffPost.what) == what
        )
    ).first()


def claim(
    *, session: Session, team_id: str, handoff_id: int, what: str, now: datetime, lease: timedelta
) -> HandoffPost | None:
    """Claim the post: new, or taken over from a claim whose lease ran out; else None."""
    existing = _row(session, handoff_id, what)
    if existing is None:
        return claim_new(
            session=session,
            team_id=team_id,
            handoff_id=handoff_id,
            what=what,
            now=now,
            lease=lease,
        )
    taken = session.connection().execute(
        update(HandoffPost)
        .where(
            col(HandoffPost.id) == existing.id,
            col(HandoffPost.attempts) == existing.attempts,
            col(HandoffPost.status) == CLAIMED,
            or_(col(HandoffPost.lease_until).is_(None), col(HandoffPost.lease_until) < now),
        )
        .values(attempts=HandoffPost.attempts + 1, lease_until=now + lease, updated_at=now)
    )
    if not taken.rowcount:
        return None
    session.expire_all()
    return _row(session, handoff_id, what)


def finish(*, session: Session, post: HandoffPost, now: datetime) -> bool:
    """Mark a post we hold as posted; False if another poster took it over meanwhile."""
    return _settle(session, post, status=DONE, lease_until=None, now=now)


def release(*, session: Session, post: HandoffPost, retry_at: datetime, now: datetime) -> bool:
    """Give a claim back after a failed try, to be taken again at `retry_at`."""
    return _settle(session, post, status=CLAIMED, lease_until=retry_at, now=now)


def _settle(
    session: Session,
    post: HandoffPost,
    *,
    status: str,
    lease_until: datetime | None,
    now: datetime,
) -> bool:
    changed = session.connection().execute(
        update(HandoffPost)
        .where(
            col(HandoffPost.id) == post.id,
            col(HandoffPost.attempts) == post.attempts,
            col(HandoffPost.status) == CLAIMED,
        )
        .values(status=status, lease_until=lease_until, updated_at=now)
    )
    return bool(changed.rowcount)


def unposted_cards(*, session: Session, now: datetime, limit: int = 500) -> Sequence[Handoff]:
    """Handoffs whose card is not in Slack and whose last claim on it has run out."""
    return session.scalars(
        select(Handoff)
        .join(HandoffPost, col(HandoffPost.handoff_id) == col(Handoff.id))
        .where(
            col(HandoffPost.what) == CARD,
            col(HandoffPost.status) == CLAIMED,
            col(HandoffPost.lease_until) < now,
        )
        .order_by(col(Handoff.id))
        .limit(limit)
    ).all()


def overdue(*, session: Session, now: datetime, limit: int = 500) -> Sequence[Handoff]:
    """Open handoffs past their SLA, with a card to remind in, not yet reminded."""
    reminded = exists().where(
        col(HandoffPost.handoff_id) == col(Handoff.id),
        col(HandoffPost.what) == REMINDER,
        or_(col(HandoffPost.status) == DONE, col(HandoffPost.lease_until) >= now),
    )
    return session.scalars(
        select(Handoff)
        .where(
            and_(col(Handoff.status) == "open", col(Handoff.due_at) <= now),
            col(Handoff.message_ts).is_not(None),
            ~reminded,
        )
        .order_by(col(Handoff.due_at))
        .limit(limit)
    ).all()
