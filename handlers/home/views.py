"""Block Kit for the App Home tab: the last 30 days of a workspace, and the next meetings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.blocks import Block, bullets, context_line, divider, header, plural, section, titled_link
from core.meetings import RuleError, occurrences, schedule_of
from core.text import escape
from core.wording import EXAMPLES, MEETINGS, campaign_label, handoff_summary
from storage.home import HomeData
from storage.models import Cadence

DAYS = 30
TOP_CAMPAIGNS = 10
FIRST_STEPS = {
    "leads": f"No leads rated yet. Rate your first lead: {EXAMPLES['lead']}",
    "intel": f"No field intel yet. Post what you hear: {EXAMPLES['intel']}",
    "results": "No wins or losses reported yet. Report your first: "
    '`/winloss win DEAL-7 campaign:"Q3 webinar" they loved the demo`',
    "collateral": "No votes on collateral yet. Share a piece: "
    "`/collateral add https://example.com/case-study.pdf Hotel case study #hotels`, "
    "then click *Helpful*, *Not helpful* or *Used in a deal* on it.",
    "competitors": "No competitor named yet. Name one in intel or a deal report, then open "
    "its card: `/competitor Acme`.",
    "handoffs": "No leads handed over yet. A team lead can set up the handoff in a channel: "
    "`/handoff set sla:4h`, then send leads to the webhook.",
    "meetings": f"No meetings scheduled. A team lead can set one in its channel: "
    f"{EXAMPLES['cadence']}",
}
COLLATERAL_TITLE = "Most helpful collateral"
UNAVAILABLE = "Tandem could not reach its database just now. Open this tab again in a minute."


def _leads(data: HomeData) -> str:
    stats = data.leads
    if not stats.overall.count:
        return FIRST_STEPS["leads"]
    lines = [
        f"*{campaign_label(s.label)}*: average *{s.average:.1f}*/5 from {plural(s.count, 'rating')}"
        for s in stats.campaigns[:TOP_CAMPAIGNS]
    ]
    more = len(stats.campaigns) - TOP_CAMPAIGNS
    total = stats.overall
    overall = f"Overall *{total.average:.1f}*/5 from {plural(total.count, 'rating')}"
    tail = f"\n_and {plural(more, 'more campaign')}_" if more > 0 else ""
    return f"{overall}\n{bullets(lines, empty='')}{tail}"


def _intel(data: HomeData) -> str:
    if not data.intel:
        return FIRST_STEPS["intel"]
    ranked = sorted(data.intel.items(), key=lambda item: (-item[1], item[0]))
    return " · ".join(f"{escape(kind)}: *{count:,}*" for kind, count in ranked)


def _competitors(data: HomeData) -> str:
    lines = [
        f"*{escape(c.name)}*: {plural(c.intel, 'intel post')} · {plural(c.deals, 'deal')}"
        + (f" · win rate *{c.win_rate:.0%}*" if c.win_rate is not None else "")
        for c in data.competitors
    ]
    return bullets(lines, empty=FIRST_STEPS["competitors"])


def _handoffs(data: HomeData) -> str:
    overall = data.handoffs.overall
    return handoff_summary(overall) if overall.handed else FIRST_STEPS["handoffs"]


def _results(data: HomeData) -> str:
    results = data.results
    if results.win_rate is None:
        return FIRST_STEPS["results"]
    return (
        f"{plural(results.wins, 'win')}, {plural(results.losses, 'loss', 'losses')} · "
        f"win rate *{results.win_rate:.0%}*"
    )


def _collateral(data: HomeData) -> list[Block]:
    # One section per item: a link may be long, and a cut link shows as raw markup.
    if not data.collateral:
        return [section(f"*{COLLATERAL_TITLE}*\n{FIRST_STEPS['collateral']}")]
    return [section(f"*{COLLATERAL_TITLE}*")] + [
        section(
            f"• {titled_link(c.url, c.title)}: {c.helpful:,} helpful · "
            f"{c.not_helpful:,} not helpful · {c.used:,} used in a deal"
        )
        for c in data.collateral
    ]


def next_meeting(meeting: Cadence, *, now: datetime) -> datetime | None:
    """When the meeting next starts, or None if its stored rule no longer parses."""
    try:
        schedule = schedule_of(meeting)
        found = occurrences(schedule, after=now, count=1)
    except (RuleError, ValueError, LookupError):
        return None
    return found[0].astimezone(schedule.tz) if found else None


def _meeting_name(kind: str) -> str:
    return MEETINGS[kind].name.capitalize() if kind in MEETINGS else escape(kind.title())


def _meetings(data: HomeData, *, now: datetime) -> str:
    upcoming = [(next_meeting(m, now=now), m) for m in data.meetings]
    lines = [
        f"*{_meeting_name(m.kind)}*: "
        f"{when:%a %-d %b %Y, %H:%M} {escape(m.zone)} in <#{m.channel_id}>"
        for when, m in sorted(
            ((w, m) for w, m in upcoming if w is not None), key=lambda pair: pair[0]
        )
    ]
    return bullets(lines, empty=FIRST_STEPS["meetings"])


def home_view(*, data: HomeData, now: datetime) -> dict[str, Any]:
    """The Home tab for `data` as it stands at `now`."""
    parts = [
        ("Lead score by campaign", _leads(data)),
        ("Field intel by kind", _intel(data)),
        ("Wins and losses", _results(data)),
        ("Most active competitors", _competitors(data)),
        ("Lead handoffs", _handoffs(data)),
    ]
    blocks: list[Block] = [
        header(f"Tandem: the last {DAYS} days"),
        context_line(f"As of {now:%-d %b %Y, %H:%M} UTC. Open this tab again to refresh."),
    ]
    for title, body in parts:
        blocks += [divider(), section(f"*{title}*\n{body}")]
    blocks += [divider(), *_collateral(data)]
    blocks += [divider(), section(f"*Next meetings*\n{_meetings(data, now=now)}")]
    return {"type": "home", "blocks": blocks}


def unavailable_view() -> dict[str, Any]:
    return {"type": "home", "blocks": [header("Tandem"), section(UNAVAILABLE)]}
