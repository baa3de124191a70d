"""The agenda's thread: every measure in full, one reply per topic.

With the previous period's measures given (the quarterly agenda), each figure
is set beside its value then.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.blocks import Block, clip, link, plural, section, sections, user
from core.money import format_sums
from core.text import escape
from core.wording import EXAMPLES, campaign_label, handoff_summary
from scheduler.agenda_format import number, percent, topic, trend
from scheduler.measures import Changes, Measures
from storage.leads import RatingSummary

CAMPAIGNS_SHOWN = 30


def best_and_worst(
    campaigns: Sequence[RatingSummary],
) -> tuple[RatingSummary, RatingSummary] | None:
    """The named campaigns with the highest and lowest average, when there are two or more."""
    named = [c for c in campaigns if c.label]
    if len(named) < 2:
        return None
    ranked = sorted(named, key=lambda c: (-c.average, -c.count, (c.label or "").casefold()))
    return ranked[0], ranked[-1]


def _unmet(unmet: Sequence[tuple[str, int]]) -> str:
    return ", ".join(f"{name} ({count})" for name, count in unmet)


def _none(title: str, sentence: str, earlier: str | None) -> list[Block]:
    """An empty topic: what to post, and last quarter's figure when comparing."""
    text = sentence + (f" (last quarter: {earlier})" if earlier else "")
    return topic(title, [[section(text)]])


def leads(now: Measures, before: Measures | None) -> list[Block]:
    overall = now.leads.overall
    if not overall.count:
        then = plural(before.leads.overall.count, "rating") if before else None
        return _none("Lead ratings", f"No leads were rated. Rate one: {EXAMPLES['lead']}", then)
    head = f"*{plural(overall.count, 'rating')}*, average *{number(overall.average)}*/5"
    earlier: dict[str, RatingSummary] = {}
    if before is not None:
        was = before.leads.overall
        head = (
            f"*{plural(overall.count, 'rating')}*{trend(overall.count, was.count)}, "
            f"average *{number(overall.average)}*/5"
            f"{trend(overall.average, was.average if was.count else None)}"
        )
        earlier = {c.label.casefold(): c for c in before.leads.campaigns if c.label}
    if overall.unmet:
        head += f"\nMost common unmet criteria: {_unmet(overall.unmet)}"
    pair = best_and_worst(now.leads.campaigns)
    if pair:
        best, worst = pair
        head += (
            f"\nBest campaign: *{campaign_label(best.label)}* ({number(best.average)}/5) · "
            f"worst: *{campaign_label(worst.label)}* ({number(worst.average)}/5)"
        )
    lines = []
    for c in now.leads.campaigns[:CAMPAIGNS_SHOWN]:
        line = (
            f"*{campaign_label(c.label)}* — {number(c.average)}/5 from {plural(c.count, 'rating')}"
        )
        if before is not None and c.label:
            was_c = earlier.get(c.label.casefold())
            line += trend(c.average, was_c.average if was_c else None)
        if c.unmet:
            line += f" · unmet: {_unmet(c.unmet)}"
        lines.append(line)
    if len(now.leads.campaigns) > CAMPAIGNS_SHOWN:
        lines.append(f"…and {plural(len(now.leads.campaigns) - CAMPAIGNS_SHOWN, 'more campaign')}")
    reasons = [
        f"{clip(r.lead_ref, 60)} ({r.score}/5, {campaign_label(r.campaign)})"
        f" by {user(r.user_id)}: “{clip(r.reason)}”"
        for r in now.low_ratings
    ]
    return topic(
        "Lead ratings",
        [
            [section(head)],
            sections(lines, title="*By campaign*"),
            sections(reasons, title="*Why leads were rated low*") if reasons else [],
        ],
    )


def intel(now: Measures, before: Measures | None, changes: Changes) -> list[Block]:
    if not now.intel_count:
        earlier = plural(before.intel_count, "post") if before else None
        return _none("Field intel", f"No intel was posted. Post some: {EXAMPLES['intel']}", earlier)
    kinds = []
    for kind, count in sorted(now.intel_kinds.items(), key=lambda kv: (-kv[1], kv[0])):
        kinds.append(
            f"{kind} {count}" + (trend(count, before.intel_kinds.get(kind, 0)) if before else "")
        )
    head = f"*{plural(now.intel_count, 'post')}*"
    if before is not None:
        head += trend(now.intel_count, before.intel_count)
    head += ": " + " · ".join(kinds)
    competitors = []
    for c in now.competitors:
        line = (
            f"*{escape(c.name)}* — {plural(c.count, 'mention')}, "
            f"by {', '.join(user(a) for a in c.authors)}"
        )
        if before is not None:
            line += trend(c.count, changes.earlier_mentions.get(c.key, 0))
        competitors.append(line)
    posts = []
    for post in now.intel:
        label = escape(post.kind) + (f": {clip(post.subject, 60)}" if post.subject else "")
        # Without a message to link to, the channel it was posted in is the source.
        where = f" in <#{post.channel_id}>" if post.channel_id and not post.permalink else ""
        posts.append(
            f"{link(post.permalink, f'*{label}*')} — {clip(post.text)} "
            f"({user(post.author_id)}{where})"
        )
    return topic(
        "Field intel",
        [
            [section(head)],
            sections(competitors, title="*Competitors, most mentioned first*")
            if competitors
            else [],
            sections(posts, title="*Posts, newest first*"),
        ],
    )


def deals(now: Measures, before: Measures | None) -> list[Block]:
    d = now.deals
    if not d.wins + d.losses:
        b = before.deals if before else None
        earlier = f"{b.wins:,} won, {b.losses:,} lost" if b else None
        return _none(
            "Wins and losses", f"No deals were reported. Report one: {EXAMPLES['winloss']}", earlier
        )
    won, lost, rate = (
        f"*{d.wins:,}* won",
        f"*{d.losses:,}* lost",
        f"win rate *{percent(d.win_rate)}*",
    )
    if before is not None:
        b = before.deals
        won += trend(d.wins, b.wins)
        lost += trend(d.losses, b.losses)
        rate += trend(d.win_rate, b.win_rate, shown=percent)
    head = f"{won} · {lost} · {rate}\nAmount won {format_sums(d.won)}"
    head += f" · lost {format_sums(d.lost)}"
    reasons = [
        f"“{clip(reason)}” ({plural(n, 'loss', 'losses')})" for reason, n in now.loss_reasons
    ]
    rivals = [
        f"*{escape(name)}* ({plural(n, 'loss', 'losses')})" for name, n in now.loss_competitors
    ]
    return topic(
        "Wins and losses",
        [
            [section(head)],
            sections(reasons, title="*Top loss reasons*") if reasons else [],
            sections(rivals, title="*Competitors in losses*") if rivals else [],
        ],
    )


def handoffs(now: Measures, before: Measures | None) -> list[Block]:
    """Leads marketing handed over: how many sales took, how fast, by campaign."""
    overall = now.handoffs.overall
    if not overall.handed:
        earlier = plural(before.handoffs.overall.handed, "lead") if before else None
        sentence = "No leads were handed over. A team lead sets it up with `/handoff set sla:4h`."
        return _none("Lead handoffs", sentence, earlier)
    head = handoff_summary(overall)
    if before is not None:
        was = before.handoffs.overall
        head += f"\nHanded over{trend(overall.handed, was.handed)} · rejection rate "
        head += f"{percent(overall.rejection_rate)}"
        head += trend(overall.rejection_rate, was.rejection_rate, shown=percent)
    lines = [
        f"*{campaign_label(c.label)}* — {handoff_summary(c)}"
        for c in now.handoffs.campaigns[:CAMPAIGNS_SHOWN]
    ]
    return topic("Lead handoffs", [[section(head)], sections(lines, title="*By campaign*")])


def collateral(now: Measures, before: Measures | None) -> list[Block]:
    added, votes = now.activity.collateral_added, now.activity.votes
    head = f"*{plural(added, 'new item')}*, *{plural(votes, 'vote')}* cast"
    if before is not None:
        head = (
            f"*{plural(added, 'new item')}*{trend(added, before.activity.collateral_added)}, "
            f"*{plural(votes, 'vote')}* cast{trend(votes, before.activity.votes)}"
        )
    if not added and not votes:
        head += f". Share something: {EXAMPLES['collateral']}"
    fresh = [
        f"{link(item.url, clip(item.title, 120))} by {user(item.author_id)}"
        for item in now.new_collateral
    ]
    ranked = [
        f"{link(s.url, clip(s.title, 120))} — {s.helpful} helpful, "
        f"{s.not_helpful} not helpful, used in {plural(s.used, 'deal')}"
        for s in now.ranking
    ]
    ignored = [f"{link(item.url, clip(item.title, 120))}" for item in now.unvoted]
    return topic(
        "Collateral",
        [
            [section(head)],
            sections(fresh, title="*New*") if fresh else [],
            sections(ranked, title="*Votes, most helpful first*") if ranked else [],
            sections(ignored, title="*Nobody voted for or used*") if ignored else [],
        ],
    )


def glossary(now: Measures) -> list[Block]:
    terms = [
        f"*{clip(t.term, 100)}* — {clip(t.definition, 300)} ({user(t.updated_by)})"
        for t in now.terms
    ]
    return topic(
        "Glossary",
        [sections(terms, title="*Terms defined or changed*")]
        if terms
        else [[section(f"No terms were defined or changed. Define one: {EXAMPLES['glossary']}")]],
    )


def stale_cards(now: Measures) -> list[Block]:
    """Competitors named in the period whose card nobody reviewed for 90 days."""
    lines = [
        f"*{escape(card.name)}* — "
        + (f"last reviewed {card.reviewed_at:%-d %b %Y}" if card.reviewed_at else "never reviewed")
        + f" ({plural(card.mentions, 'mention')}) · `/competitor edit {escape(card.name)}`"
        for card in now.stale_cards
    ]
    if not lines:
        return []
    return topic(
        "Competitor cards to review",
        [sections(lines, title="*Named this month, not reviewed for 90 days*")],
    )
