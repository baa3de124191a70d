"""Block Kit and words for `/lead`: its usage, the rating form, the stats summary, receipts."""

from __future__ import annotations

from typing import Any

from core.blocks import Block, bullets, context_line, header, plural, section
from core.text import escape
from core.wording import EXAMPLES, campaign_label
from handlers.common import Saving
from handlers.forms import (
    Submission,
    View,
    checkboxes,
    input_block,
    modal,
    static_select,
    text_input,
)
from handlers.lead.parse import MIN_LOW_REASON
from storage.leads import CRITERIA, LeadStats, NewRating, RatingSummary

USAGE = (
    "*Rate a lead:* `/lead LEAD SCORE [campaign:NAME] [segment:NAME] [+budget|-budget] "
    "[+authority|-authority] [+need|-need] [+timing|-timing] REASON`\n"
    'For example `/lead ACME-42 2 campaign:"Q3 webinar" -budget +need contact left the company`. '
    f"The score is 1 to 5 (`4` or `4/5`); a 1 or 2 needs a reason of at least {MIN_LOW_REASON} "
    "characters. Rating a lead again replaces your earlier rating.\n"
    "*Sum up:* `/lead stats [campaign:NAME] [days:N]` · *Form:* `/lead` on its own"
)
STATS_USAGE = "`/lead stats [campaign:NAME] [days:N]`, for example `/lead stats days:90`"
TITLE = "Rate a lead"
SAVING = Saving(USAGE, TITLE, sorry_field="reason", what="a lead rating")


def rating_form(*, callback_id: str, channel_id: str, lead: str = "", campaign: str = "") -> View:
    """The modal `/lead` opens when typed on its own, or a lead card's Rate… prefilled."""
    criteria = [(name.title(), name) for name in CRITERIA]
    return modal(
        callback_id=callback_id,
        title=TITLE,
        private_metadata=channel_id,
        blocks=[
            input_block("lead", "Lead", text_input("ACME-42", initial=lead)),
            input_block("score", "Score", static_select((str(n), str(n)) for n in range(1, 6))),
            input_block(
                "campaign", "Campaign", text_input("Q3 webinar", initial=campaign), optional=True
            ),
            input_block("segment", "Segment", text_input("Mid-market"), optional=True),
            input_block("met", "Criteria met", checkboxes(criteria), optional=True),
            input_block("unmet", "Criteria not met", checkboxes(criteria), optional=True),
            input_block(
                "reason",
                "Why?",
                text_input(f"A 1 or 2 needs at least {MIN_LOW_REASON} characters", multiline=True),
                optional=True,
            ),
        ],
    )


def read_form(view: dict[str, Any]) -> dict[str, Any]:
    """The submitted form's values, as `build_rating` keyword arguments."""
    form = Submission.of(view)
    criteria = {name: True for name in form.choices("met")}
    for name in form.choices("unmet"):
        criteria[name] = False
    return {
        "lead_ref": form.value("lead"),
        "score": form.choice("score"),
        "campaign": form.value("campaign") or None,
        "segment": form.value("segment") or None,
        "criteria": criteria,
        "reason": form.value("reason"),
    }


def _summary_line(summary: RatingSummary) -> str:
    unmet = ", ".join(f"{name} ({count})" for name, count in summary.unmet[:3])
    line = f"{plural(summary.count, 'rating')}, average *{summary.average:.1f}*/5"
    return line + (f" · most often unmet: {unmet}" if unmet else "")


def stats_blocks(stats: LeadStats, *, days: int, campaign: str | None) -> list[Block]:
    """`/lead stats`: overall, then per campaign (the first 20)."""
    scope = f" for {campaign}" if campaign else ""
    blocks = [header(f"Lead ratings, last {days} days{scope}")]
    if not stats.overall.count:
        blocks.append(
            section(f"No ratings yet. Rate a lead marketing handed you: {EXAMPLES['lead']}")
        )
        return blocks
    blocks.append(section(f"*Overall:* {_summary_line(stats.overall)}"))
    lines = [f"*{campaign_label(s.label)}*: {_summary_line(s)}" for s in stats.campaigns[:20]]
    blocks.append(section("*By campaign*\n" + bullets(lines, empty="")))
    if len(stats.campaigns) > 20:
        blocks.append(context_line(f"and {len(stats.campaigns) - 20} more campaigns"))
    return blocks


def confirmation(rating: NewRating, *, replaced: bool) -> str:
    """The ephemeral receipt for a stored rating."""
    parts = [f"Saved: *{escape(rating.lead_ref)}* rated *{rating.score}/5*"]
    if rating.campaign:
        parts.append(f" for {escape(rating.campaign)}")
    if rating.criteria:
        marks = ", ".join(
            f"{name} {'met' if met else 'not met'}" for name, met in rating.criteria.items()
        )
        parts.append(f" ({marks})")
    parts.append(".")
    if replaced:
        parts.append(" This replaces your earlier rating of this lead.")
    return "".join(parts)
