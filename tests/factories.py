"""Test data stored the way the app stores it: through the storage functions, at a given instant.

Each builder is keyword-only, takes the `session` to write in (so `db.write(add_x, …)` works
too) and the instant it happened (`at=`, or `now=` where the storage function says so); the
rest defaults to the SPEC's examples.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlmodel import Session

from core.meetings import (
    DEFAULT_LEAD,
    MONTHLY,
    QUARTERLY,
    Schedule,
    cadence_fields,
    parse_day_rule,
    parse_time,
)
from storage.cadences import set_cadence, turn_off
from storage.collateral import NewCollateral, VoteResult, cast_vote, save_collateral
from storage.glossary import define_term
from storage.intake import Incoming, NewHandoff, Received, receive_many
from storage.intel import NewIntel, save_intel
from storage.leads import NewRating, RatingWrite, save_ratings
from storage.models import Cadence
from storage.winloss import NewResult, save_result


def add_rating(
    *,
    session: Session,
    team_id: str = "T1",
    lead: str = "ACME-42",
    score: int = 4,
    user_id: str = "U1",
    campaign: str | None = None,
    criteria: Mapping[str, bool] | None = None,
    reason: str = "",
    at: datetime,
) -> bool:
    """A rep's rating of a lead; whether it replaced their earlier rating of it."""
    rating = NewRating(
        lead_ref=lead,
        score=score,
        campaign=campaign,
        segment=None,
        criteria=criteria or {},
        reason=reason,
    )
    (replaced,) = save_ratings(session, [RatingWrite(team_id, user_id, rating, at)])
    return replaced


def add_intel(
    *,
    session: Session,
    team_id: str = "T1",
    kind: str = "competitor",
    subject: str | None = "Acme",
    text: str = "cut list price 20% in EMEA",
    author: str = "U1",
    channel_id: str | None = None,
    permalink: str | None = None,
    at: datetime,
) -> None:
    """A post of field intel, posted by its author."""
    save_intel(
        session=session,
        team_id=team_id,
        intel=NewIntel(kind=kind, subject=subject, text=text),
        author_id=author,
        posted_by=author,
        channel_id=channel_id,
        permalink=permalink,
        now=at,
    )


def add_result(
    *,
    session: Session,
    team_id: str = "T1",
    outcome: str = "win",
    deal: str = "DEAL-7",
    competitor: str | None = None,
    amount: Decimal | None = None,
    currency: str | None = None,
    reason: str = "because",
    user_id: str = "U1",
    at: datetime,
) -> str | None:
    """A win/loss report; the outcome of the report it replaced, if any."""
    result = NewResult(
        outcome=outcome,
        deal_ref=deal,
        competitor=competitor,
        amount=amount,
        campaign=None,
        reason=reason,
        currency=currency,
    )
    return save_result(session=session, team_id=team_id, user_id=user_id, result=result, now=at)


def add_collateral(
    *,
    session: Session,
    team_id: str = "T1",
    title: str = "Hotel case study",
    url: str = "https://example.com/hotel-case-study.pdf",
    tags: Sequence[str] = (),
    user_id: str = "U1",
    channel_id: str = "C1",
    at: datetime,
) -> int:
    """A collateral item shared in `channel_id`; its id."""
    item = NewCollateral(url=url, title=title, tags=tuple(tags))
    found = save_collateral(
        session=session, team_id=team_id, user_id=user_id, item=item, channel_id=channel_id, now=at
    )
    assert found is not None
    return found


def add_vote(
    *,
    session: Session,
    team_id: str = "T1",
    collateral_id: int,
    user_id: str = "U1",
    vote: str = "helpful",
    at: datetime,
) -> VoteResult:
    """A vote on a collateral item, replacing the voter's earlier one."""
    result = cast_vote(
        session=session,
        team_id=team_id,
        collateral_id=collateral_id,
        user_id=user_id,
        vote=vote,
        now=at,
    )
    assert result is not None
    return result


def add_term(
    *,
    session: Session,
    team_id: str = "T1",
    term: str = "MQL",
    definition: str = "Marketing qualified lead.",
    user_id: str = "U1",
    at: datetime,
) -> bool:
    """A glossary definition; whether the term was defined before."""
    return define_term(
        session=session,
        team_id=team_id,
        user_id=user_id,
        term=term,
        definition=definition,
        now=at,
    )


# The SPEC's example meeting of each kind: what `make_cadence` sets unless told otherwise.
EXAMPLE_MEETINGS = {
    "monthly": Schedule(parse_day_rule("first-tue"), time(10), "America/New_York", MONTHLY),
    "quarterly": Schedule(parse_day_rule("second-mon"), time(9), "Europe/Berlin", QUARTERLY),
}


def make_cadence(
    *,
    session: Session | None = None,
    team_id: str = "T1",
    kind: str = "monthly",
    channel_id: str = "C1",
    day_rule: str | None = None,
    at_time: str | None = None,
    zone: str | None = None,
    months: Sequence[int] | None = None,
    lead: timedelta = DEFAULT_LEAD,
    active: bool = True,
    set_by: str = "ULEAD",
    now: datetime,
) -> Cadence:
    """A meeting cadence as `/cadence set` stores it; what is not given is `kind`'s example.

    With a `session` it is stored (and turned off, if not `active`); without one it is a
    row that was never saved, for code that only reads it.
    """
    example = EXAMPLE_MEETINGS[kind]
    schedule = Schedule(
        rule=parse_day_rule(day_rule) if day_rule else example.rule,
        at=parse_time(at_time) if at_time else example.at,
        zone=zone or example.zone,
        months=tuple(months) if months else example.months,
    )
    fields = cadence_fields(schedule, lead)
    if session is None:
        return Cadence(
            team_id=team_id,
            kind=kind,
            channel_id=channel_id,
            active=active,
            set_by=set_by,
            updated_at=now,
            **fields,
        )
    cadence = set_cadence(
        session=session,
        team_id=team_id,
        kind=kind,
        channel_id=channel_id,
        schedule=fields,
        set_by=set_by,
        now=now,
    )
    if not active:
        turn_off(session=session, team_id=team_id, kind=kind)
    return cadence


def add_handoff(
    *,
    session: Session,
    token_hash: str,
    lead: str,
    at: datetime,
    campaign: str | None = "Q3 webinar",
    score: float | None = None,
) -> int:
    """A lead handed over at `at` to the workspace whose webhook secret hashes so, as the
    webhook stores it (SLA from the workspace's setup, in elapsed time); its handoff id."""
    incoming = Incoming(
        token_hash=token_hash,
        lead=NewHandoff(lead_ref=lead, campaign=campaign, score=score),
        idempotency_key=None,
        now=at,
        due=lambda setup: at + timedelta(minutes=setup.sla_minutes),
        card_lease=timedelta(minutes=1),
    )
    (received,) = receive_many(session, [incoming])
    assert isinstance(received, Received), received
    return received.handoff_id
