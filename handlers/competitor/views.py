"""Block Kit and words for `/competitor`: the card, the list, the card form, usage, receipts.

The card keeps within Slack's limits whatever the data: every list on it is cut, with
"and N more", and every user text is clipped to fit its section.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from core.blocks import (
    Block,
    clip,
    context_line,
    divider,
    header,
    link,
    plural,
    section,
    sections,
    titled_link,
    user,
)
from core.competitors import STALE_DAYS
from core.money import format_sums
from core.text import escape
from core.wording import EXAMPLES
from handlers.common import Saving
from handlers.competitor.parse import LIMITS
from handlers.forms import Submission, View, input_block, modal, text_input
from storage.competitors import Aliased, CardData, CompetitorRow
from storage.models import CompetitorCard, IntelPost

DAYS = 90  # the card's and the list's window for intel, and the list's for deals
USAGE = (
    "*A competitor's card:* `/competitor Acme` — what we say about it, its last "
    f"{DAYS} days of intel, deals against it and collateral tagged `#acme`, with a button to "
    "share it in the channel.\n"
    "*Edit the card:* `/competitor edit Acme` (why we win, why we lose, their pitch, how to "
    "answer) · *Join spellings:* `/competitor alias Acme = Acme Corp, AcmeSoft` · "
    "*Every competitor:* `/competitor list` · *Form:* `/competitor` on its own"
)
ALIAS_USAGE = "`/competitor alias Acme = Acme Corp, AcmeSoft`"
TITLE = "Competitor card"
SAVING = Saving(USAGE, TITLE, sorry_field="name", what="a competitor card")
ALIAS_SAVING = Saving(ALIAS_USAGE, TITLE, sorry_field="alias", what="competitor aliases")
FIELDS = {
    "why_win": "Why we win",
    "why_lose": "Why we lose",
    "pitch": "Their pitch",
    "answer": "How to answer",
}
PLACEHOLDERS = {
    "why_win": "Our onboarding takes days, theirs months",
    "why_lose": "They undercut us on price in EMEA",
    "pitch": "“All-in-one suite, one contract”",
    "answer": "Show the total cost over three years",
}
NEWEST = 5  # intel posts on the card
ALIASES_SHOWN = 10
LISTED = 150  # competitors in `/competitor list`
LIST_EMPTY = f"No competitor named yet. Name one in intel: {EXAMPLES['intel']}"
SHARE_LABEL = "Share in channel"
_SAFE_LINK = re.compile(r"https://[^\s<>|]+")


def _day(when: datetime) -> str:
    return f"{when:%-d %b %Y}"


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.0%}"


def tag_of(key: str) -> str:
    """The collateral tag that names a competitor: `acme`, `acme-corp`."""
    return "-".join(key.split())


def as_option(name: str) -> str:
    """The name as a command option's value: quoted when it has spaces."""
    return f'"{escape(name)}"' if " " in name else escape(name)


def review_line(card: CompetitorCard | None, *, name: str, now: datetime) -> str:
    """Who reviewed the card and when, and a stale mark past 90 days."""
    edit = f"`/competitor edit {escape(name)}`"
    if card is None or card.reviewed_at is None or card.reviewed_by is None:
        return f":warning: *Stale:* nobody has reviewed this card yet. Add to it: {edit}"
    reviewed = f"Reviewed by {user(card.reviewed_by)} on {_day(card.reviewed_at)}"
    if now - card.reviewed_at >= timedelta(days=STALE_DAYS):
        return f":warning: *Stale:* {reviewed}, over {STALE_DAYS} days ago. Review it: {edit}"
    return reviewed


def _curated(data: CardData) -> list[Block]:
    card = data.card
    texts = [(label, getattr(card, field, "") or "") for field, label in FIELDS.items()]
    filled = [(label, text) for label, text in texts if text]
    if not filled:
        return [
            section(
                "Nothing written yet about why we win or lose, their pitch or how to answer it. "
                f"Write it: `/competitor edit {escape(data.name)}`"
            )
        ]
    return [section(f"*{label}*\n{escape(text)}") for label, text in filled]


def _post_line(post: IntelPost) -> str:
    when = post.created_at
    date = f"{when:%b} {when.day}, {when.year}"
    if post.permalink and _SAFE_LINK.fullmatch(post.permalink):
        source = link(post.permalink, "original message")
    elif post.channel_id:
        source = f"in <#{post.channel_id}>"
    else:
        source = "posted with `/intel`"
    return f"{clip(post.text)} — {user(post.author_id)} · {date} · {source}"


def _intel(data: CardData) -> list[Block]:
    head = f"*Intel, last {DAYS} days:* {plural(data.intel_count, 'post')}"
    if not data.intel_count:
        return [
            section(f"{head}. Post what you hear: `/intel competitor:{as_option(data.name)} …`")
        ]
    lines = [_post_line(post) for post in data.intel]
    more = data.intel_count - len(data.intel)
    if more > 0:
        lines.append(f"and {plural(more, 'more post')}: `/intel search {clip(data.name, 60)}`")
    return sections(lines, title=head + ", newest first")


def _deals(data: CardData) -> list[Block]:
    d = data.deals
    if not d.wins + d.losses:
        return [section(f"*Deals:* none reported against it yet. {EXAMPLES['winloss']}")]
    head = (
        f"*Deals:* {d.wins:,} won · {d.losses:,} lost · win rate *{percent(d.win_rate)}* · "
        f"amount lost {format_sums(d.lost)}"
    )
    reasons = [
        f"“{clip(reason)}” ({plural(n, 'loss', 'losses')})" for reason, n in data.loss_reasons
    ]
    if not reasons:
        return [section(head)]
    return sections(reasons, title=f"{head}\n*Top loss reasons*")


def _collateral(data: CardData) -> list[Block]:
    tag = f"#{escape(tag_of(data.key))}"
    if not data.collateral_count:
        return [section(f"*Collateral:* nothing tagged `{tag}` yet.")]
    blocks = [section(f"*Collateral tagged `{tag}`*, most helpful first")]
    # One section per item: a link may be long, and a cut link shows as raw markup.
    blocks += [
        section(
            f"• {titled_link(item.url, item.title)}: {item.helpful:,} helpful · "
            f"{item.not_helpful:,} not helpful · used in {plural(item.used, 'deal')}"
        )
        for item in data.collateral
    ]
    more = data.collateral_count - len(data.collateral)
    if more > 0:
        blocks.append(context_line(f"and {plural(more, 'more item')}: `/collateral find {tag}`"))
    return blocks


def card_text(data: CardData) -> str:
    """The card's notification text."""
    d = data.deals
    return (
        f"{escape(data.name)}: {plural(data.intel_count, 'intel post')} in {DAYS} days, "
        f"{d.wins:,} won, {d.losses:,} lost"
    )


def card_blocks(
    data: CardData, *, now: datetime, share_action: str | None = None, shared_by: str | None = None
) -> list[Block]:
    """The card; with `share_action`, a button to share it, and with `shared_by`, who did."""
    about = [review_line(data.card, name=data.name, now=now)]
    if data.aliases:
        shown = ", ".join(clip(a, 60) for a in data.aliases[:ALIASES_SHOWN])
        extra = len(data.aliases) - ALIASES_SHOWN
        about.insert(0, f"Also known as {shown}" + (f" and {extra:,} more" if extra > 0 else ""))
    if shared_by:
        about.append(f"Shared by {user(shared_by)}")
    blocks = [header(f"Competitor: {data.name}"), context_line(" · ".join(about))]
    blocks += _curated(data)
    blocks += [divider(), *_intel(data), divider(), *_deals(data), divider(), *_collateral(data)]
    if share_action:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": share_action,
                        "text": {"type": "plain_text", "text": SHARE_LABEL},
                        "value": data.key,
                    }
                ],
            }
        )
    return blocks


def unknown(name: str, suggestions: Sequence[str]) -> str:
    """What an unknown name gets: the nearest known names, or how to start."""
    asked = escape(name)
    if suggestions:
        names = " or ".join(f"*{escape(s)}*" for s in suggestions)
        return (
            f"Tandem knows no competitor called “{asked}”. Did you mean {names}? "
            f"For example `/competitor {escape(suggestions[0])}`."
        )
    return (
        f"Tandem knows no competitor called “{asked}” yet. Post intel about it "
        f"(`/intel competitor:{as_option(name)} …`) or start its card: `/competitor edit {asked}`."
    )


def list_blocks(rows: Sequence[CompetitorRow]) -> list[Block]:
    """`/competitor list`: every competitor, most active first."""
    lines = [
        f"*{clip(row.name, 80)}* — {plural(row.intel, 'intel post')} · "
        f"{plural(row.deals, 'deal')} · win rate {percent(row.win_rate)}"
        for row in rows[:LISTED]
    ]
    if len(rows) > LISTED:
        lines.append(f"and {plural(len(rows) - LISTED, 'more competitor')}")
    if not lines:
        return [header("Competitors"), section(LIST_EMPTY)]
    title = f"*{plural(len(rows), 'competitor')}*, last {DAYS} days, most active first"
    return [header("Competitors"), *sections(lines, title=title)]


def card_form(*, callback_id: str, channel_id: str, name: str, card: CompetitorCard | None) -> View:
    """The card form, prefilled with the card's current text."""
    blocks = [
        input_block(
            "name", "Competitor", text_input("Acme", max_length=LIMITS["name"], initial=name)
        )
    ]
    for field, label in FIELDS.items():
        current = getattr(card, field, "") if card is not None else ""
        element = text_input(
            PLACEHOLDERS[field], multiline=True, max_length=LIMITS[field], initial=current or ""
        )
        blocks.append(input_block(field, label, element, optional=True))
    blocks.append(context_line("Saving marks the card as reviewed by you today."))
    return modal(
        callback_id=callback_id,
        title=TITLE,
        private_metadata=json.dumps({"channel_id": channel_id}),
        blocks=blocks,
    )


def read_form(view: dict[str, Any]) -> dict[str, str]:
    """The submitted form's values, as `build_card` keyword arguments."""
    form = Submission.of(view)
    return {name: form.value(name) for name in ("name", *FIELDS)}


def saved(name: str) -> str:
    return (
        f"Saved the card of *{escape(name)}*, reviewed by you today. "
        f"See it with `/competitor {escape(name)}`."
    )


def aliased(result: Aliased) -> str:
    """The receipt for `/competitor alias`."""
    name = f"*{escape(result.name)}*"
    parts = []
    if result.added:
        spellings = ", ".join(f"“{escape(a)}”" for a in result.added)
        verb = "count" if len(result.added) > 1 else "counts"
        parts.append(
            f"{spellings} now {verb} as {name} everywhere: intel, deals, agendas and Home, "
            "including what was posted before."
        )
    if result.already:
        spellings = ", ".join(f"“{escape(a)}”" for a in result.already)
        verb = "were" if len(result.already) > 1 else "was"
        parts.append(f"{spellings} {verb} already counted as {name}.")
    return " ".join(parts)


_NOT_SHARED = {
    "not_in_channel": "Tandem is not a member of this channel. Invite it with "
    "`/invite @Tandem`, then share again.",
    "channel_not_found": "Tandem cannot post here (a direct message, or a private channel it "
    "was not invited to). Invite it with `/invite @Tandem`, then share again.",
    "is_archived": "This channel is archived, so the card was not shared.",
}


def not_shared(code: str) -> str:
    """Why the card did not reach the channel, told to whoever clicked."""
    return _NOT_SHARED.get(code, "Slack would not take the card just now; it was not shared.")
