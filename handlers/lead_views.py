"""Block Kit for `/lead`: the rating form, its receipt, and the stats summary."""

from __future__ import annotations

from typing import Any

from handlers.common import Block, bullets, context_line, header, plural, section
from handlers.text import escape
from storage.leads import CRITERIA, LeadStats, RatingSummary

FORM_ID = "lead_rating_form"


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "element": {"action_id": "value", **element},
    }


def _text_input(placeholder: str, *, multiline: bool = False) -> dict[str, Any]:
    return {
        "type": "plain_text_input",
        "multiline": multiline,
        "placeholder": {"type": "plain_text", "text": placeholder},
    }


def _options(names: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{"text": {"type": "plain_text", "text": n.title()}, "value": n} for n in names]


def rating_form(*, channel_id: str) -> dict[str, Any]:
    """The modal `/lead` opens when typed on its own."""
    scores = tuple(str(n) for n in range(1, 6))
    return {
        "type": "modal",
        "callback_id": FORM_ID,
        "private_metadata": channel_id,
        "title": {"type": "plain_text", "text": "Rate a lead"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            _input("lead", "Lead", _text_input("ACME-42")),
            _input("score", "Score", {"type": "static_select", "options": _options(scores)}),
            _input("campaign", "Campaign", _text_input("Q3 webinar"), optional=True),
            _input("segment", "Segment", _text_input("Mid-market"), optional=True),
            _input(
                "met",
                "Criteria met",
                {"type": "checkboxes", "options": _options(CRITERIA)},
                optional=True,
            ),
            _input(
                "unmet",
                "Criteria not met",
                {"type": "checkboxes", "options": _options(CRITERIA)},
                optional=True,
            ),
            _input(
                "reason",
                "Why?",
                _text_input("A 1 or 2 needs at least 10 characters", multiline=True),
                optional=True,
            ),
        ],
    }


def read_form(view: dict[str, Any]) -> dict[str, Any]:
    """The submitted form's values, as `build_rating` keyword arguments."""
    values = view["state"]["values"]

    def text(block: str) -> str:
        return values.get(block, {}).get("value", {}).get("value") or ""

    def chosen(block: str) -> list[str]:
        picked = values.get(block, {}).get("value", {}).get("selected_options") or []
        return [option["value"] for option in picked]

    score = (values.get("score", {}).get("value", {}).get("selected_option") or {}).get("value")
    criteria = {name: True for name in chosen("met")}
    for name in chosen("unmet"):
        criteria[name] = False
    return {
        "lead_ref": text("lead"),
        "score": score or "",
        "campaign": text("campaign") or None,
        "segment": text("segment") or None,
        "criteria": criteria,
        "reason": text("reason"),
    }


def saved(message: str) -> dict[str, Any]:
    """What the form turns into once the rating is stored."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Rate a lead"},
        "close": {"type": "plain_text", "text": "Done"},
        "blocks": [section(f":white_check_mark: {message}")],
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
            section(
                "No ratings yet. Rate a lead marketing handed you: "
                '`/lead ACME-42 4 campaign:"Q3 webinar" +budget +need ready to buy`'
            )
        )
        return blocks
    blocks.append(section(f"*Overall:* {_summary_line(stats.overall)}"))
    lines = [
        f"*{escape(s.label) if s.label else '_no campaign_'}*: {_summary_line(s)}"
        for s in stats.campaigns[:20]
    ]
    blocks.append(section("*By campaign*\n" + bullets(lines, empty="")))
    if len(stats.campaigns) > 20:
        blocks.append(context_line(f"and {len(stats.campaigns) - 20} more campaigns"))
    return blocks
