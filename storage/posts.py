"""Posts about a handoff (its card, its SLA reminder), each claimed before it is posted.

The same discipline as meeting reminders (storage.deliveries): a row is `claimed` by one
poster until `lease_until`, then `done`. A claim whose lease ran out (a poster that died,
or Slack kept refusing) may be taken over by anyone; `attempts` is the fencing token.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, exists, or_, select, tuple_, update
from sqlmodel import Session, col

from storage.db import on_conflict_insert
from storage.leases import settle, take
from storage.models import Handoff, HandoffPost

CARD = "card"
REMINDER = "reminder"
CLAIMED = "claimed"
DONE = "done"


def claim_new(
    *, session: Session, handoff: Handoff, what: str, now: datetime, lease: timedelta
) -> HandoffPost | None:
    """Claim a post about `handoff` that nobody has claimed yet; None if it has a row."""
    assert handoff.id is not None, "a stored handoff"
    statement = (
        on_conflict_insert(session)(HandoffPost)
        .values(
            team_id=handoff.team_id,
            handoff_id=handoff.id,
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
    return _row(session, handoff.id, what)


def _row(session: Session, handoff_id: int, what: str) -> HandoffPost | None:
    return session.scalars(
        select(HandoffPost).where(
            col(HandoffPost.handoff_id) == handoff_id, col(HandoffPost.what) == what
        )
    ).first()


def claim(
    *, session: Session, handoff: Handoff, what: str, now: datetime, lease: timedelta
) -> HandoffPost | None:
    """Claim the post: new, or taken over from a claim whose lease ran out; else None."""
    assert handoff.id is not None, "a stored handoff"
    existing = _row(session, handoff.id, what)
    if existing is None:
        return claim_new(session=session, handoff=handoff, what=what, now=now, lease=lease)
    if not take(session, HandoffPost, existing, still=CLAIMED, now=now, lease=lease):
        return None
    session.expire_all()
    return _row(session, handoff.id, what)


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
    values = {"status": status, "lease_until": lease_until, "updated_at": now}
    return settle(session, HandoffPost, post, still=CLAIMED, **values)


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


@dataclass(frozen=True)
class Posted:
    """A card Slack has taken: the claim it was posted under, and where it is."""

    post: HandoffPost
    message_ts: str
    now: datetime


def record_posted(session: Session, batch: Sequence[Posted]) -> list[bool]:
    """Remember where each card is, and mark its claim done, in one statement each for the
    whole batch; for each, whether the claim was still ours (if not, another poster took it
    over and may post it again)."""
    where = {item.post.handoff_id: item.message_ts for item in batch}
    session.execute(
        update(Handoff)
        .where(col(Handoff.id).in_(where))
        .values(message_ts=case(where, value=col(Handoff.id)))
    )
    held = [(item.post.id, item.post.attempts) for item in batch]
    done = set(
        session.scalars(
            update(HandoffPost)
            .where(
                tuple_(col(HandoffPost.id), col(HandoffPost.attempts)).in_(held),
                col(HandoffPost.status) == CLAIMED,
            )
            .values(status=DONE, lease_until=None, updated_at=max(item.now for item in batch))
            .returning(col(HandoffPost.id))
        )
    )
    return [item.post.id in done for item in batch]
