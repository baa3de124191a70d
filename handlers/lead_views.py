"""Block Kit for `/lead`: the rating form and the stats summary."""

from __future__ import annotations

from typing import Any

from core.blocks import Block, bullets, context_line, header, plural, section
from core.wording import EXAMPLES, campaign_label
from handlers.forms import (
    Submission,
    View,
    checkboxes,
    input_block,
    modal,
    static_select,
    text_input,
)
from storage.leads import CRITERIA, LeadStats, RatingSummary

FORM_ID = "lead_rating_form"
TITLE = "Rate a lead"


def rating_form(*, channel_id: str) -> View:
    """The modal `/lead` opens when typed on its own."""
    criteria = [(name.title(), name) for name in CRITERIA]
    return modal(
        callback_id=FORM_ID,
        title=TITLE,
        private_metadata=channel_id,
        blocks=[
            input_block("lead", "Lead", text_input("ACME-42")),
            input_block("score", "Score", static_select((str(n), str(n)) for n in range(1, 6))),
            input_block("campaign", "Campaign", text_input("Q3 webinar"), optional=True),
            input_block("segment", "Segment", text_input("Mid-market"), optional=True),
            input_block("met", "Criteria met", checkboxes(criteria), optional=True),
            input_block("unmet", "Criteria not met", checkboxes(criteria), optional=True),
            input_block(
                "reason",
                "Why?",
                text_input("A 1 or 2 needs at least 10 characters", multiline=True),
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
