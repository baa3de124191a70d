"""How fast sales takes what marketing hands over: counts, median time to accept, SLA share.

Every figure is aggregated in SQL over the handoffs received in a period; the median uses
window functions, which SQLite and PostgreSQL both have.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlmodel import Session, col

from storage.models import Handoff


@dataclass(frozen=True)
class HandoffSummary:
    label: str | None  # the campaign; None overall or for leads without one
    handed: int
    accepted: int
    rejected: int
    open: int
    median_accept_seconds: float | None
    within_sla: float | None  # share of the accepted ones accepted within their SLA

    @property
    def rejection_rate(self) -> float | None:
        decided = self.accepted + self.rejected
        return self.rejected / decided if decided else None


@dataclass(frozen=True)
class HandoffStats:
    overall: HandoffSummary
    campaigns: Sequence[HandoffSummary]  # most handed first


def _period(team_id: str, since: datetime, until: datetime, campaign: str | None) -> list[Any]:
    where = [
        col(Handoff.team_id) == team_id,
        col(Handoff.received_at) >= since,
        col(Handoff.received_at) < until,
    ]
    if campaign is not None:
        where.append(func.lower(col(Handoff.campaign)) == campaign.casefold())
    return where


def _medians(session: Session, where: list[Any], by_campaign: bool) -> dict[str | None, float]:
    """The median seconds to accept, per campaign or (under None) overall."""
    partition = col(Handoff.campaign) if by_campaign else None
    ranked = (
        select(
            col(Handoff.campaign).label("campaign"),
            col(Handoff.accept_seconds).label("seconds"),
            func.row_number()
            .over(partition_by=partition, order_by=col(Handoff.accept_seconds))
            .label("rn"),
            func.count().over(partition_by=partition).label("n"),
        )
        .where(*where, col(Handoff.status) == "accepted")
        .subquery()
    )
    middle = ranked.c.rn.in_([(ranked.c.n + 1) / 2, (ranked.c.n + 2) / 2])
    if not by_campaign:
        median = session.execute(select(func.avg(ranked.c.seconds)).where(middle)).scalar()
        return {} if median is None else {None: float(median)}
    rows = session.execute(
        select(ranked.c.campaign, func.avg(ranked.c.seconds))
        .where(middle)
        .group_by(ranked.c.campaign)
    )
    return {campaign: float(median) for campaign, median in rows}


def handoff_stats(
    *,
    session: Session,
    team_id: str,
    since: datetime,
    until: datetime,
    campaign: str | None = None,
) -> HandoffStats:
    """Handoffs received in [since, until), overall and per campaign."""
    where = _period(team_id, since, until, campaign)
    status = col(Handoff.status)
    in_time = and_(status == "accepted", col(Handoff.decided_at) <= col(Handoff.due_at))
    measures = (
        func.count(),
        func.sum(case((status == "accepted", 1), else_=0)),
        func.sum(case((status == "rejected", 1), else_=0)),
        func.sum(case((status == "open", 1), else_=0)),
        func.sum(case((in_time, 1), else_=0)),
    )

    def summary(label: str | None, row: Sequence[Any], median: float | None) -> HandoffSummary:
        handed, accepted, rejected, still_open, within = (int(v or 0) for v in row)
        return HandoffSummary(
            label=label,
            handed=handed,
            accepted=accepted,
            rejected=rejected,
            open=still_open,
            median_accept_seconds=median,
            within_sla=within / accepted if accepted else None,
        )

    overall_row = session.execute(select(*measures).where(*where)).one()
    overall = summary(None, overall_row, _medians(session, where, False).get(None))
    medians = _medians(session, where, True)
    rows = session.execute(
        select(col(Handoff.campaign), *measures)
        .where(*where)
        .group_by(col(Handoff.campaign))
        .order_by(func.count().desc(), col(Handoff.campaign))
    )
    campaigns = [summary(row[0], row[1:], medians.get(row[0])) for row in rows]
    return HandoffStats(overall=overall, campaigns=campaigns)
