"""What an agenda reports on: one period's measures, each aggregated in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypedDict

from sqlmodel import Session

from storage.agenda import (
    Activity,
    LowRating,
    activity,
    competitor_counts,
    low_ratings,
    new_competitors,
    new_loss_reasons,
)
from storage.collateral import (
    CollateralScore,
    collateral_ranking,
    new_collateral,
    unvoted_collateral,
)
from storage.competitors import StaleCard, stale_cards
from storage.glossary import terms_changed
from storage.handoff_stats import HandoffStats, handoff_stats
from storage.intel import CompetitorMentions, intel_by_competitor, intel_by_kind, recent_intel
from storage.leads import LeadStats, lead_stats
from storage.models import Collateral, GlossaryTerm, IntelPost
from storage.winloss import WinLossSummary, loss_competitors, top_loss_reasons, winloss_summary

INTEL_SHOWN = 60
COLLATERAL_SHOWN = 20
COMPETITORS_SHOWN = 10
STALE_AFTER = timedelta(days=90)  # a competitor card unreviewed this long is stale


class _Period(TypedDict):
    session: Session
    team_id: str
    since: datetime
    until: datetime


class _Window(_Period):
    before: datetime  # the start of the period before [since, until)


@dataclass(frozen=True)
class Headline:
    """The figures an agenda's biggest changes weigh against the period before."""

    leads: LeadStats
    deals: WinLossSummary
    handoffs: HandoffStats


@dataclass(frozen=True)
class Measures(Headline):
    """Everything collected in [since, until) for one workspace."""

    since: datetime
    until: datetime
    low_ratings: Sequence[LowRating]
    intel_kinds: dict[str, int]
    competitors: Sequence[CompetitorMentions]
    intel: Sequence[IntelPost]
    loss_reasons: Sequence[tuple[str, int]]
    loss_competitors: Sequence[tuple[str, int]]
    activity: Activity
    new_collateral: Sequence[Collateral]
    ranking: Sequence[CollateralScore]
    unvoted: Sequence[Collateral]
    terms: Sequence[GlossaryTerm]
    stale_cards: Sequence[StaleCard]  # of competitors named in the period

    @property
    def intel_count(self) -> int:
        return sum(self.intel_kinds.values())

    @property
    def empty(self) -> bool:
        """Nothing at all was posted in the period."""
        return not (
            self.leads.overall.count
            or self.intel_count
            or self.deals.wins
            or self.deals.losses
            or self.activity.collateral_added
            or self.activity.votes
            or self.activity.terms_changed
            or self.handoffs.overall.handed
        )


@dataclass(frozen=True)
class Changes:
    """What is new in a period compared with the one before it."""

    competitors: Sequence[tuple[str, int]]  # named now, not in the period before
    loss_reasons: Sequence[tuple[str, int]]
    earlier_mentions: dict[str, int]  # resolved competitor key -> mentions in the period before


def measure(*, session: Session, team_id: str, since: datetime, until: datetime) -> Measures:
    """One workspace's measures for [since, until)."""
    period = _Period(session=session, team_id=team_id, since=since, until=until)
    return Measures(
        since=since,
        until=until,
        leads=lead_stats(**period),
        low_ratings=low_ratings(**period),
        intel_kinds=intel_by_kind(**period),
        competitors=intel_by_competitor(**period, limit=COMPETITORS_SHOWN),
        intel=recent_intel(**period, limit=INTEL_SHOWN),
        deals=winloss_summary(**period),
        loss_reasons=top_loss_reasons(**period, limit=5),
        loss_competitors=loss_competitors(**period, limit=COMPETITORS_SHOWN),
        activity=activity(**period),
        new_collateral=new_collateral(**period, limit=COLLATERAL_SHOWN),
        ranking=collateral_ranking(**period, limit=COLLATERAL_SHOWN),
        unvoted=unvoted_collateral(**period, limit=COLLATERAL_SHOWN),
        terms=terms_changed(**period),
        handoffs=handoff_stats(**period),
        stale_cards=stale_cards(
            **period, stale_before=until - STALE_AFTER, limit=COMPETITORS_SHOWN
        ),
    )


def headline(*, session: Session, team_id: str, since: datetime, until: datetime) -> Headline:
    """Only the headline figures of [since, until): a monthly agenda's period before needs no
    more, and measuring all of it would double the agenda's queries."""
    period = _Period(session=session, team_id=team_id, since=since, until=until)
    return Headline(
        leads=lead_stats(**period),
        deals=winloss_summary(**period),
        handoffs=handoff_stats(**period),
    )


def changes(*, session: Session, team_id: str, current: Measures, before: datetime) -> Changes:
    """What `current` has that [before, current.since) did not."""
    window = _Window(
        session=session, team_id=team_id, since=current.since, until=current.until, before=before
    )
    earlier = competitor_counts(
        session=session,
        team_id=team_id,
        since=before,
        until=current.since,
        keys=[c.key for c in current.competitors],
    )
    return Changes(
        competitors=new_competitors(**window),
        loss_reasons=new_loss_reasons(**window),
        earlier_mentions=earlier,
    )
