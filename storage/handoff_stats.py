"""How fast sales takes what marketing hands over: counts, median time to accept, SLA share.

Every figure is aggregated in SQL over the handoffs received in a period; the median uses
window functions, which SQLite and PostgreSQL both have.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, case, cast, func, literal, null, select, union_all
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


def _medians(session: Session, where: list[Any]) -> dict[tuple[bool, str | None], float]:
    """The median seconds to accept, overall (key `(True, None)`) and per campaign (key
    `(False, campaign)`), in one statement."""
    seconds, campaign = col(Handoff.accept_seconds), col(Handoff.campaign)
    ranked = (
        select(
            campaign.label("campaign"),
            seconds.label("seconds"),
            func.row_number().over(order_by=seconds).label("rn"),
            func.count().over().label("n"),
            func.row_number().over(partition_by=campaign, order_by=seconds).label("rn_c"),
            func.count().over(partition_by=campaign).label("n_c"),
        )
        .where(*where, col(Handoff.status) == "accepted")
        .cte("ranked")
    )

    def middle(rn: Any, n: Any) -> Any:
        # Integer division: the middle row of an odd count, the middle two of an even one.
        return rn.in_([(n + 1) // 2, (n + 2) // 2])

    overall = select(
        literal(1).label("overall"),
        cast(null(), String).label("campaign"),
        func.avg(ranked.c.seconds),
    ).where(middle(ranked.c.rn, ranked.c.n))
    by_campaign = (
        select(literal(0), ranked.c.campaign, func.avg(ranked.c.seconds))
        .where(middle(ranked.c.rn_c, ranked.c.n_c))
        .group_by(ranked.c.campaign)
    )
    rows = session.execute(union_all(overall, by_campaign))
    return {
        (bool(is_overall), label): float(median)
        for is_overall, label, median in rows
        if median is not None
    }


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

    medians = _medians(session, where)
    rows = session.execute(
        select(col(Handoff.campaign), *measures)
        .where(*where)
        .group_by(col(Handoff.campaign))
        .order_by(func.count().desc(), col(Handoff.campaign))
    ).all()
    campaigns = [summary(row[0], row[1:], medians.get((False, row[0]))) for row in rows]
    # Every handoff is in one campaign's row (no campaign is a row too): the sums are overall.
    totals = [sum(int(row[i] or 0) for row in rows) for i in range(1, len(measures) + 1)]
    overall = summary(None, totals, medians.get((True, None)))
    return HandoffStats(overall=overall, campaigns=campaigns)
