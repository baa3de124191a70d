"""What the quarterly agenda attaches to its thread: charts and the next meeting's invitation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from scheduler.charts import comparison_chart
from scheduler.ics import meeting_invite
from scheduler.measures import Measures
from storage.intel import KINDS
from storage.leads import LeadStats
from storage.models import Cadence

CHART_CAMPAIGNS = 8
MEETING_LENGTH = timedelta(hours=1)
INVITE_NAME = "next-planning-meeting.ics"


def campaign_labels(now: Measures, before: Measures) -> list[str]:
    """The most-rated named campaigns of either quarter, this quarter's first."""
    seen: dict[str, str] = {}
    for summary in (*now.leads.campaigns, *before.leads.campaigns):
        if summary.label and summary.label.casefold() not in seen:
            seen[summary.label.casefold()] = summary.label
    return list(seen.values())[:CHART_CAMPAIGNS]


def campaign_averages(leads: LeadStats, labels: Sequence[str]) -> list[float | None]:
    """Each campaign's average score; None where it had no ratings (an average of nothing is
    no data, not a score of 0)."""
    by_key = {c.label.casefold(): c.average for c in leads.campaigns if c.label}
    found = [by_key.get(label.casefold()) for label in labels]
    return [None if average is None else round(average, 2) for average in found]


def charts(now: Measures, before: Measures) -> list[tuple[str, str, bytes]]:
    """(filename, title, PNG) of each chart comparing the quarter with the one before."""
    labels = campaign_labels(now, before)

    def averages(m: Measures) -> list[float | None]:
        return campaign_averages(m.leads, labels)

    kinds = [kind for kind in KINDS if now.intel_kinds.get(kind) or before.intel_kinds.get(kind)]
    return [
        (
            "lead-score-by-campaign.png",
            "Lead score by campaign",
            comparison_chart(
                title="Average lead score by campaign",
                labels=labels,
                current=averages(now),
                previous=averages(before),
            ),
        ),
        (
            "wins-and-losses.png",
            "Wins and losses",
            comparison_chart(
                title="Wins and losses",
                labels=["Wins", "Losses"],
                current=[now.deals.wins, now.deals.losses],
                previous=[before.deals.wins, before.deals.losses],
            ),
        ),
        (
            "intel-by-kind.png",
            "Field intel by kind",
            comparison_chart(
                title="Field intel by kind",
                labels=[kind.capitalize() for kind in kinds],
                current=[now.intel_kinds.get(kind, 0) for kind in kinds],
                previous=[before.intel_kinds.get(kind, 0) for kind in kinds],
            ),
        ),
    ]


def invite_uid(cadence: Cadence, start: datetime) -> str:
    """Stable for a meeting, so a calendar updates the event instead of adding another."""
    return f"tandem-{cadence.team_id}-{cadence.kind}-{start:%Y%m%dT%H%MZ}@tandem"


def invitation(*, cadence: Cadence, start: datetime, now: datetime) -> bytes:
    """The next planning meeting as an `.ics` calendar event in the meeting's zone."""
    return meeting_invite(
        uid=invite_uid(cadence, start),
        title="Quarterly sales and marketing planning",
        start=start,
        duration=MEETING_LENGTH,
        zone=cadence.zone,
        description=(
            "Quarterly planning between sales and marketing. Tandem posts the agenda in the "
            "meeting's Slack channel before it starts."
        ),
        stamp=now,
    )
