"""The agenda's top message: the biggest changes, a compact summary, a pointer to the thread."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from itertools import zip_longest
from typing import Any

from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock

from core.blocks import Block, clip, context_line, divider, header, plural, section
from core.hours import short
from core.text import escape
from core.wording import EXAMPLES
from scheduler.agenda_format import DOWN, UP, number, percent, trend
from scheduler.measures import Changes, Headline, Measures

BIGGEST = 5
MOVE = 0.05  # smaller moves of an average score are noise, not change
ACCEPT_MOVE = 0.25  # a median time to accept a quarter longer or shorter (and 10 min at least)
REJECTION_MOVE = 0.10  # ten points of rejection rate


def _moved(current: float, previous: float) -> str:
    return f"{UP} rose" if current > previous else f"{DOWN} fell"


def campaign_moves(now: Measures, before: Headline) -> list[str]:
    """Lead score by campaign against the period before, largest moves first."""
    earlier = {c.label.casefold(): c for c in before.leads.campaigns if c.label}
    moves = []
    for c in now.leads.campaigns:
        was = earlier.get(c.label.casefold()) if c.label else None
        if c.label and was and abs(c.average - was.average) >= MOVE:
            moves.append((abs(c.average - was.average), c.label, c.average, was.average))
    moves.sort(key=lambda m: (-m[0], m[1].casefold()))
    return [
        f"Lead score of *{escape(label)}* {_moved(avg, was)} to *{number(avg)}*/5 "
        f"(from {number(was)})"
        for _, label, avg, was in moves
    ]


def handoff_moves(now: Measures, before: Headline) -> list[str]:
    """Large moves in how fast sales takes handed-over leads, and how many it turns down."""
    moves = []
    median, was = (
        now.handoffs.overall.median_accept_seconds,
        before.handoffs.overall.median_accept_seconds,
    )
    if median is not None and was and abs(median - was) >= max(was * ACCEPT_MOVE, 600):
        took, took_before = short(timedelta(seconds=median)), short(timedelta(seconds=was))
        moves.append(
            f"Median time to accept a lead {_moved(median, was)} to *{took}* (from {took_before})"
        )
    rate, was_rate = now.handoffs.overall.rejection_rate, before.handoffs.overall.rejection_rate
    if rate is not None and was_rate is not None and abs(rate - was_rate) >= REJECTION_MOVE:
        moves.append(
            f"Rejection rate of handed-over leads {_moved(rate, was_rate)} to *{percent(rate)}* "
            f"(from {percent(was_rate)})"
        )
    return moves


def biggest_changes(now: Measures, before: Headline, changes: Changes) -> list[str]:
    """At most five lines: campaign moves, new competitors and new loss reasons, taken in turn."""
    competitors = [
        f":new: New competitor: *{escape(name)}* (named {plural(n, 'time')})"
        for name, n in changes.competitors
    ]
    reasons = [
        f":new: New loss reason: “{clip(reason, 120)}” ({plural(n, 'loss', 'losses')})"
        for reason, n in changes.loss_reasons
    ]
    lines = [
        line
        for turn in zip_longest(
            campaign_moves(now, before), competitors, reasons, handoff_moves(now, before)
        )
        for line in turn
        if line
    ]
    # With few of those, the headline figures' own moves fill the list.
    rate, was_rate = now.deals.win_rate, before.deals.win_rate
    if rate is not None and was_rate is not None and rate != was_rate:
        lines.append(
            f"Win rate {_moved(rate, was_rate)} to *{percent(rate)}* (from {percent(was_rate)})"
        )
    avg, was_avg = now.leads.overall, before.leads.overall
    if avg.count and was_avg.count and abs(avg.average - was_avg.average) >= MOVE:
        lines.append(
            f"Average lead score {_moved(avg.average, was_avg.average)} to "
            f"*{number(avg.average)}*/5 (from {number(was_avg.average)})"
        )
    return lines[:BIGGEST]


def summary_fields(now: Measures, before: Measures | None) -> list[str]:
    """One short field per topic; beside last quarter's figures when given."""
    leads, deals, act = now.leads.overall, now.deals, now.activity
    was = before.leads.overall if before is not None else None

    def beside(current: float | None, previous: float | None, **how: Any) -> str:
        return "" if before is None else trend(current, previous, **how)

    average = ""
    if leads.count:
        earlier = was.average if was is not None and was.count else None
        average = f", average {number(leads.average)}/5{beside(leads.average, earlier)}"
    top = f", most on *{escape(now.competitors[0].name)}*" if now.competitors else ""
    fields = {
        "Leads": plural(leads.count, "rating")
        + beside(leads.count, was.count if was else None)
        + average,
        "Intel": plural(now.intel_count, "post")
        + beside(now.intel_count, before.intel_count if before else None)
        + top,
        "Deals": f"{deals.wins:,} won, {deals.losses:,} lost, win rate {percent(deals.win_rate)}"
        + beside(deals.win_rate, before.deals.win_rate if before else None, shown=percent),
        "Collateral": f"{plural(act.collateral_added, 'new item')}, {plural(act.votes, 'vote')}"
        + beside(act.votes, before.activity.votes if before else None),
        "Glossary": f"{plural(act.terms_changed, 'term')} defined or changed"
        + beside(act.terms_changed, before.activity.terms_changed if before else None),
        "Handoffs": f"{plural(now.handoffs.overall.handed, 'lead')} handed over, "
        f"{now.handoffs.overall.accepted:,} accepted"
        + beside(now.handoffs.overall.handed, before.handoffs.overall.handed if before else None),
    }
    return [f"*{name}*\n{text}" for name, text in fields.items()]


def summary_text(now: Measures) -> str:
    """The notification line: the headline figures in words."""
    d = now.deals
    return ", ".join(
        (
            plural(now.leads.overall.count, "lead rating"),
            plural(now.intel_count, "intel post"),
            plural(d.wins, "win"),
            plural(d.losses, "loss", "losses"),
        )
    )


def top_blocks(
    *,
    title: str,
    when: str,
    now: Measures,
    before: Headline,
    compared: Measures | None,
    changes: Changes,
    footer: str,
) -> list[Block]:
    """The top-level message, at most 15 blocks: `now`'s biggest changes from `before`, and
    its figures, set beside `compared`'s when given."""
    blocks = [header(title), context_line(when)]
    if now.empty:
        suggestions = "\n".join(f"• {example}" for example in EXAMPLES.values())
        blocks.append(
            section(
                "*Nothing was posted since the last meeting.* Give this one something to talk "
                f"about — for example:\n{suggestions}"
            )
        )
    else:
        lines = biggest_changes(now, before, changes)
        listed: Sequence[str] = [f"{i}. {line}" for i, line in enumerate(lines, 1)]
        blocks.append(
            section(
                "*The five biggest changes since the last meeting*\n"
                + ("\n".join(listed) if listed else "Nothing moved much since the last meeting.")
            )
        )
    blocks.append(divider())
    fields = [MarkdownTextObject(text=f) for f in summary_fields(now, compared)]
    blocks.append(SectionBlock(fields=fields).to_dict())
    blocks.append(context_line(footer))
    return blocks
