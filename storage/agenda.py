"""The aggregations only meeting agendas need, beside each feature's own, in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, literal, select, union_all
from sqlmodel import Session, col

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


def _competitor_names(team_id: str, since: datetime, until: datetime, before: datetime) -> Any:
    """(key, name, earlier) of every competitor named in intel or in a deal report in
    [before, until); `earlier` is 1 for a naming in [before, since), else 0."""

    def earlier(stamp: Any) -> Any:
        return case((stamp < since, 1), else_=0).label("earlier")

    stamp = col(IntelPost.created_at)
    intel: Any = select(
        col(IntelPost.subject_key).label("key"),
        col(IntelPost.subject).label("name"),
        earlier(stamp),
    ).where(
        col(IntelPost.team_id) == team_id,
        col(IntelPost.kind) == IntelKind.COMPETITOR,
        col(IntelPost.subject_key).is_not(None),
        *_between(stamp, before, until),
    )
    stamp = col(WinLoss.reported_at)
    deals: Any = select(
        col(WinLoss.competitor_key).label("key"),
        col(WinLoss.competitor).label("name"),
        earlier(stamp),
    ).where(
        col(WinLoss.team_id) == team_id,
        col(WinLoss.competitor_key).is_not(None),
        *_between(stamp, before, until),
    )
    return union_all(intel, deals).subquery()


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

    Named means in a competitor intel post or as the competitor of a won or lost deal.
    """
    # One pass over both periods: a competitor is new when none of its namings is earlier.
    # (A NOT IN over a second scan cost ~20 ms more on PostgreSQL, which planned it parallel.)
    names = _competitor_names(team_id, since, until, before)
    mentions = func.count().label("mentions")
    rows = session.execute(
        select(func.max(names.c.name), mentions)
        .group_by(names.c.key)
        .having(func.sum(names.c.earlier) == 0)
        .order_by(mentions.desc(), names.c.key)
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
    *, session: Session, team_id: str, since: datetime, until: datetime, names: Sequence[str]
) -> dict[str, int]:
    """How often each of `names` (any case) was named in competitor intel in a period."""
    if not names:
        return {}
    key = col(IntelPost.subject_key)
    rows = session.execute(
        select(key, func.count())
        .where(
            col(IntelPost.team_id) == team_id,
            col(IntelPost.kind) == IntelKind.COMPETITOR,
            key.in_([name.casefold() for name in names]),
            *_between(col(IntelPost.created_at), since, until),
        )
        .group_by(key)
    ).all()
    return {str(k): int(n) for k, n in rows}
