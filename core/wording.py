"""Wording said in more than one place: apologies, meeting names, examples, empty labels."""

from __future__ import annotations

from dataclasses import dataclass

from core.text import escape

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


MEETINGS = {
    "monthly": MeetingName("monthly field-intel meeting", "Field-intel meeting"),
    "quarterly": MeetingName("quarterly planning meeting", "Quarterly planning meeting"),
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
