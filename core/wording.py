"""Wording said in more than one place: apologies, meeting names, examples, empty labels."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from core.hours import short
from core.meetings import MeetingKind
from core.text import escape
from storage.handoff_stats import HandoffSummary

SORRY_STORAGE = (
    "Sorry, Tandem could not reach its database just now, so nothing was saved. "
    "Please try again in a minute."
)
SORRY_OTHER = (
    "Sorry, something went wrong inside Tandem, so nothing was changed. "
    "Please try again; if it keeps happening, tell whoever runs Tandem."
)


@dataclass(frozen=True)
class MeetingName:
    name: str  # in a sentence: "the monthly field-intel meeting"
    heading: str  # as a title: "Field-intel meeting agenda"


# str keys in the type: a stored `Cadence.kind`, a plain str, looks its name up here.
MEETINGS: dict[str, MeetingName] = {
    MeetingKind.MONTHLY: MeetingName("monthly field-intel meeting", "Field-intel meeting"),
    MeetingKind.QUARTERLY: MeetingName("quarterly planning meeting", "Quarterly planning meeting"),
}

# One example of each command, used wherever Tandem suggests what to type.
EXAMPLES = {
    "lead": '`/lead ACME-42 4 campaign:"Q3 webinar" +budget +need ready to buy`',
    "intel": "`/intel competitor:Acme cut list price 20% in EMEA`",
    "winloss": "`/winloss loss DEAL-7 competitor:Acme amount:48000 price was 30% higher`",
    "collateral": "`/collateral add https://example.com/hotel-case-study.pdf Hotel case study "
    "#hotels`",
    "glossary": "`/glossary set MQL = Marketing Qualified Lead: …`",
    "cadence": "`/cadence set monthly first-tue 10:00 America/New_York agenda:2d`",
}

NO_CAMPAIGN = "_no campaign_"


def campaign_label(campaign: str | None) -> str:
    """A campaign's name as shown (escaped), or the label for ratings without one."""
    return escape(campaign) if campaign else NO_CAMPAIGN


def handoff_summary(summary: HandoffSummary) -> str:
    """One line of handoff measures, as `/handoff stats`, Home and the agendas show them."""
    seconds = summary.median_accept_seconds
    median = short(timedelta(seconds=seconds)) if seconds is not None else "—"
    within = f"{summary.within_sla:.0%}" if summary.within_sla is not None else "—"
    handed = f"{summary.handed:,} lead{'' if summary.handed == 1 else 's'} handed over"
    return (
        f"{handed} · {summary.accepted:,} accepted · {summary.rejected:,} rejected · "
        f"{summary.open:,} open · median time to accept {median} · "
        f"accepted within the SLA {within}"
    )
