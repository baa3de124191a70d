"""Everything the App Home tab shows, read in one session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from sqlmodel import Session

from storage.cadences import active_cadences
from storage.collateral import CollateralScore, collateral_ranking
from storage.competitors import CompetitorRow, competitor_list
from storage.handoff_stats import HandoffStats, handoff_stats
from storage.intel import intel_by_kind
from storage.leads import LeadStats, lead_stats
from storage.models import Cadence
from storage.winloss import WinLossSummary, winloss_summary

TOP_COLLATERAL = 5
TOP_COMPETITORS = 5


class _Period(TypedDict):
    session: Session
    team_id: str
    since: datetime
    until: datetime


@dataclass(frozen=True)
class HomeData:
    leads: LeadStats
    intel: dict[str, int]
    results: WinLossSummary
    collateral: tuple[CollateralScore, ...]
    handoffs: HandoffStats
    meetings: tuple[Cadence, ...]  # the active ones; the tab works out their next dates
    competitors: tuple[CompetitorRow, ...] = ()  # most active first, aliases joined


def home_data(*, session: Session, team_id: str, since: datetime, until: datetime) -> HomeData:
    """One workspace's period at a glance, every figure aggregated in SQL."""
    period = _Period(session=session, team_id=team_id, since=since, until=until)
    return HomeData(
        leads=lead_stats(**period),
        intel=intel_by_kind(**period),
        results=winloss_summary(**period),
        collateral=tuple(collateral_ranking(**period, limit=TOP_COLLATERAL)),
        handoffs=handoff_stats(**period),
        meetings=tuple(active_cadences(session=session, team_id=team_id)),
        competitors=tuple(competitor_list(**period, active_only=True, limit=TOP_COMPETITORS)),
    )
