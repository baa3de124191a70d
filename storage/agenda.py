"""The aggregations only meeting agendas need, beside each feature's own, in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlmodel import Session, col

from storage.competitors import mentions, resolved, shown_name
from storage.intel import IntelKind
from storage.models import Collateral, CollateralVote, GlossaryTerm, IntelPost, LeadRating, WinLoss
from storage.winloss import Outcome

LOW_SCORE = 2  # a rating at or below this must say why, so its reason is worth reading


@dataclass(frozen=True)
class LowRating:
    lead_ref: str
    campaign: str | None
    score: int
    reason: str
    user_id: str


@dataclass(frozen=True)
class Activity:
    """Counts of what was added in a period that no feature's summary already gives."""

    collateral_added: int
    votes: int
    terms_changed: int


def _between(column: Any, since: datetime, until: datetime) -> tuple[Any, ...]:
    return (column >= since, column < until)


def low_ratings(
    *, session: Session, team_id: str, since: datetime, until: datetime, limit: int = 10
) -> list[LowRating]:
    """The reasons given for low ratings in a period, lowest score first, then newest."""
    rows = session.execute(
        select(
            col(LeadRating.lead_ref),
            col(LeadRating.campaign),
            col(LeadRating.score),
            col(LeadRating.reason),
            col(LeadRating.user_id),
        )
        .where(
            col(LeadRating.team_id) == team_id,
            *_between(col(LeadRating.rated_at), since, until),
            col(LeadRating.score) <= LOW_SCORE,
            col(LeadRating.reason) != "",
        )
        .order_by(col(LeadRating.score), col(LeadRating.rated_at).desc(), col(LeadRating.id))
        .limit(limit)
    ).all()
    return [LowRating(*row) for row in rows]


def activity(*, session: Session, team_id: str, since: datetime, until: datetime) -> Activity:
    """New collateral, votes cast and glossary terms changed in a period, counted in one query."""

    def count(model: Any, stamp: Any) -> Any:
        return (
            select(func.count())
            .select_from(model)
            .where(col(model.team_id) == team_id, *_between(stamp, since, until))
            .scalar_subquery()
        )

    row = session.execute(
        select(
            count(Collateral, col(Collateral.created_at)),
            count(CollateralVote, col(CollateralVote.voted_at)),
            count(GlossaryTerm, col(GlossaryTerm.updated_at)),
        )
    ).one()
    return Activity(collateral_added=int(row[0]), votes=int(row[1]), terms_changed=int(row[2]))


def new_competitors(
    *,
    session: Session,
    team_id: str,
    since: datetime,
    until: datetime,
    before: datetime,
    limit: int = 5,
) -> list[tuple[str, int]]:
    """Competitors named in [since, until) but not in [before, since), most mentions first.

    Named means in a competitor intel post or as the competitor of a won or lost deal;
    spellings joined by `/competitor alias` are one competitor.
    """
    # One pass over both periods: a competitor is new when none of its namings is earlier.
    # (A NOT IN over a second scan cost ~20 ms more on PostgreSQL, which planned it parallel.)
    named = mentions(team_id, since=before, until=until)
    earlier = func.sum(case((named.c.at < since, 1), else_=0))
    count = func.count().label("mentions")
    fallback = func.coalesce(func.max(named.c.own), func.max(named.c.name))
    card, on, name = shown_name(team_id, named.c.key, fallback)
    rows = session.execute(
        select(name, count)
        .select_from(named)
        .outerjoin(card, on)
        .group_by(named.c.key)
        .having(earlier == 0)
        .order_by(count.desc(), named.c.key)
        .limit(limit)
    ).all()
    return [(name, int(n)) for name, n in rows]


def new_loss_reasons(
    *,
    session: Session,
    team_id: str,
    since: datetime,
    until: datetime,
    before: datetime,
    limit: int = 5,
) -> list[tuple[str, int]]:
    """Loss reasons (same words, any case) given in [since, until) but not in [before, since)."""
    stamp = col(WinLoss.reported_at)
    key = func.lower(col(WinLoss.reason))
    count = func.count().label("n")
    rows = session.execute(
        select(func.max(col(WinLoss.reason)), count)
        .where(
            col(WinLoss.team_id) == team_id,
            col(WinLoss.outcome) == Outcome.LOSS,
            *_between(stamp, before, until),
            col(WinLoss.reason) != literal(""),
        )
        .group_by(key)
        .having(func.sum(case((stamp < since, 1), else_=0)) == 0)
        .order_by(count.desc(), key)
        .limit(limit)
    ).all()
    return [(reason, int(n)) for reason, n in rows]


def competitor_counts(
    *, session: Session, team_id: str, since: datetime, until: datetime, keys: Sequence[str]
) -> dict[str, int]:
    """How often each competitor of `keys` (resolved keys) was named in competitor intel."""
    if not keys:
        return {}
    alias, on, key = resolved(col(IntelPost.team_id), col(IntelPost.subject_key))
    rows = session.execute(
        select(key, func.count())
        .select_from(IntelPost)
        .outerjoin(alias, on)
        .where(
            col(IntelPost.team_id) == team_id,
            col(IntelPost.kind) == IntelKind.COMPETITOR,
            key.in_(keys),
            *_between(col(IntelPost.created_at), since, until),
        )
        .group_by(key)
    ).all()
    return {str(k): int(n) for k, n in rows}
