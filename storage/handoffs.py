"""Lead handoffs: the workspace's setup, leads arriving, and sales taking or refusing them.

A handoff is `open` until the first accept or reject, each a compare-and-set on that
status, so of two clicks at once exactly one wins. Accepts, rejections and ratings are
reported to the workspace's receiver through the outbox, in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session, col

from storage.leads import CRITERIA, NewRating, RatingWrite, save_ratings
from storage.models import Handoff, HandoffSetup
from storage.outbox import add_event, stamp

OPEN, ACCEPTED, REJECTED = "open", "accepted", "rejected"


def setup_of(*, session: Session, team_id: str) -> HandoffSetup | None:
    return session.scalars(select(HandoffSetup).where(col(HandoffSetup.team_id) == team_id)).first()


def update_setup(*, session: Session, team_id: str, now: datetime, **fields: Any) -> HandoffSetup:
    """Change the workspace's setup (making it if it has none); the setup as it now stands."""
    setup = setup_of(session=session, team_id=team_id) or HandoffSetup(team_id=team_id)
    setup.sqlmodel_update({**fields, "updated_at": now})
    session.add(setup)
    session.flush()
    return setup


def get_handoff(*, session: Session, team_id: str, handoff_id: int) -> Handoff | None:
    found = session.get(Handoff, handoff_id)
    return found if found is not None and found.team_id == team_id else None


@dataclass(frozen=True)
class Decision:
    """What became of an accept or reject: `won` if this click decided it."""

    won: bool
    handoff: Handoff


def _decide(
    session: Session, team_id: str, handoff_id: int, values: dict[str, Any]
) -> Decision | None:
    changed = session.connection().execute(
        update(Handoff)
        .where(
            col(Handoff.id) == handoff_id,
            col(Handoff.team_id) == team_id,
            col(Handoff.status) == OPEN,
        )
        .values(**values)
    )
    session.expire_all()
    handoff = get_handoff(session=session, team_id=team_id, handoff_id=handoff_id)
    return None if handoff is None else Decision(bool(changed.rowcount), handoff)


def _event(handoff: Handoff, kind: str, **fields: Any) -> dict[str, Any]:
    at = handoff.decided_at
    return {
        "type": f"lead.{kind}",
        "lead": handoff.lead_ref,
        "campaign": handoff.campaign,
        "by": handoff.decided_by,
        "at": stamp(at) if at else None,
        "score": None,
        "reason": None,
        "criteria": None,
    } | fields


def accept(
    *, session: Session, team_id: str, handoff_id: int, user_id: str, now: datetime
) -> Decision | None:
    """The first accept takes the lead; None if there is no such handoff."""
    values = {"status": ACCEPTED, "decided_by": user_id, "decided_at": now}
    received = session.scalars(
        select(col(Handoff.received_at)).where(col(Handoff.id) == handoff_id)
    ).first()
    if received is not None:
        values["accept_seconds"] = int((now - received).total_seconds())
    decision = _decide(session, team_id, handoff_id, values)
    if decision is not None and decision.won:
        handoff = decision.handoff
        add_event(
            session=session,
            team_id=team_id,
            lead_key=handoff.lead_key,
            payload=_event(handoff, ACCEPTED),
            now=now,
        )
    return decision


def reject(
    *,
    session: Session,
    team_id: str,
    handoff_id: int,
    user_id: str,
    reason: str,
    unmet: tuple[str, ...],
    now: datetime,
) -> Decision | None:
    """The first decision stands; a rejection is also the rejecter's rating of 1."""
    values = {
        "status": REJECTED,
        "decided_by": user_id,
        "decided_at": now,
        "reason": reason,
        "unmet": ",".join(unmet),
    }
    decision = _decide(session, team_id, handoff_id, values)
    if decision is None or not decision.won:
        return decision
    handoff = decision.handoff
    criteria = dict.fromkeys(unmet, False)
    rating = NewRating(
        lead_ref=handoff.lead_ref,
        score=1,
        campaign=handoff.campaign,
        segment=handoff.segment,
        criteria=criteria,
        reason=reason,
    )
    save_ratings(session, [RatingWrite(team_id, user_id, rating, now, report=False)])
    add_event(
        session=session,
        team_id=team_id,
        lead_key=handoff.lead_key,
        payload=_event(
            handoff,
            "rejected",
            score=1,
            reason=reason,
            criteria={name: criteria.get(name) for name in CRITERIA},
        ),
        now=now,
    )
    return decision
