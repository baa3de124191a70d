"""Lead ratings: saving a rep's verdict and summing them up in SQL."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlmodel import Session, col

from storage.models import LeadRating

CRITERIA = ("budget", "authority", "need", "timing")


@dataclass(frozen=True)
class NewRating:
    lead_ref: str
    score: int
    campaign: str | None
    segment: str | None
    criteria: Mapping[str, bool]
    reason: str


def save_rating(
    *, session: Session, team_id: str, user_id: str, rating: NewRating, now: datetime
) -> bool:
    """Store the rating; a second rating of the same lead by the same rep replaces the first.

    Returns whether an earlier rating was replaced.
    """
    key = rating.lead_ref.casefold()
    existing = session.scalars(
        select(LeadRating).where(
            col(LeadRating.team_id) == team_id,
            col(LeadRating.lead_key) == key,
            col(LeadRating.user_id) == user_id,
        )
    ).first()
    fields: dict[str, Any] = {
        "lead_ref": rating.lead_ref,
        "score": rating.score,
        "campaign": rating.campaign,
        "segment": rating.segment,
        "reason": rating.reason,
        "rated_at": now,
        **{name: rating.criteria.get(name) for name in CRITERIA},
    }
    if existing is None:
        session.add(LeadRating(team_id=team_id, lead_key=key, user_id=user_id, **fields))
    else:
        existing.sqlmodel_update(fields)
        session.add(existing)
    session.flush()
    return existing is not None


@dataclass(frozen=True)
class RatingSummary:
    label: str | None  # the campaign, or None for the overall line / no campaign
    count: int
    average: float
    unmet: tuple[tuple[str, int], ...]  # criteria not met, most common first


@dataclass(frozen=True)
class LeadStats:
    overall: RatingSummary
    campaigns: tuple[RatingSummary, ...]  # most rated first


def _unmet(counts: Mapping[str, int]) -> tuple[tuple[str, int], ...]:
    ranked = sorted(((n, c) for n, c in counts.items() if c), key=lambda item: (-item[1], item[0]))
    return tuple(ranked)


def lead_stats(
    *,
    session: Session,
    team_id: str,
    since: datetime | None = None,
    until: datetime | None = None,
    campaign: str | None = None,
) -> LeadStats:
    """Count, average and unmet criteria, overall and per campaign, aggregated in SQL."""
    unmet_columns = [
        func.sum(case((col(getattr(LeadRating, name)).is_(False), 1), else_=0)).label(name)
        for name in CRITERIA
    ]
    campaign_key = func.lower(col(LeadRating.campaign))
    query = select(
        func.max(col(LeadRating.campaign)).label("campaign"),
        func.count().label("ratings"),
        func.sum(col(LeadRating.score)).label("total"),
        *unmet_columns,
    ).where(col(LeadRating.team_id) == team_id)
    if since is not None:
        query = query.where(col(LeadRating.rated_at) >= since)
    if until is not None:
        query = query.where(col(LeadRating.rated_at) < until)
    if campaign is not None:
        query = query.where(campaign_key == campaign.casefold())
    rows = session.execute(query.group_by(campaign_key)).all()

    campaigns = []
    totals = {"count": 0, "total": 0, **{name: 0 for name in CRITERIA}}
    for row in rows:
        values = row._mapping
        counts = {name: int(values[name] or 0) for name in CRITERIA}
        rated, total = int(values["ratings"]), int(values["total"])
        campaigns.append(
            RatingSummary(
                label=values["campaign"], count=rated, average=total / rated, unmet=_unmet(counts)
            )
        )
        totals["count"] += rated
        totals["total"] += total
        for name in CRITERIA:
            totals[name] += counts[name]
    count = totals["count"]
    overall = RatingSummary(
        label=None,
        count=count,
        average=totals["total"] / count if count else 0.0,
        unmet=_unmet({name: totals[name] for name in CRITERIA}),
    )
    campaigns.sort(key=lambda s: (-s.count, s.label is None, (s.label or "").casefold()))
    return LeadStats(overall=overall, campaigns=tuple(campaigns))
