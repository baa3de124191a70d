"""Small pieces agendas are written with: links, dates, trends, and Slack's size limits."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from handlers.common import SECTION_LIMIT, Block, header, section
from handlers.text import escape

MESSAGE_BLOCKS = 50  # Slack's limit for one message
UP, DOWN, LEVEL = "▲", "▼", "="
SNIPPET = 160

TRY = {
    "leads": '`/lead ACME-42 4 campaign:"Q3 webinar" +budget +need good fit, demo booked`',
    "intel": "`/intel competitor:Acme cut list price 20% in EMEA`",
    "deals": "`/winloss loss DEAL-7 competitor:Acme amount:48000 price was 30% higher`",
    "collateral": "`/collateral add https://example.com/hotel-case-study.pdf Hotel case study`",
    "glossary": "`/glossary set MQL = Marketing Qualified Lead: …`",
}


def clip(text: str, limit: int = SNIPPET) -> str:
    """User text on one line, shortened, escaped for mrkdwn."""
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return escape(flat)


def link(url: str | None, label: str) -> str:
    """`label` (already escaped) linking to `url`; just the label without a URL."""
    if not url:
        return label
    # `|` and `>` would end Slack's link markup early.
    safe = escape(url).replace("|", "%7C")
    return f"<{safe}|{label}>"


def user(user_id: str) -> str:
    return f"<@{user_id}>"


def local_label(instant: datetime, zone: str) -> str:
    """`Tue 3 Mar 2026, 10:00 EST` in the meeting's zone, for plain text."""
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M %Z}"


def slack_date(instant: datetime, zone: str, *, time: bool = True) -> str:
    """A date each reader sees in their own time zone, with the meeting's as fallback."""
    style = "{date_long_pretty} at {time}" if time else "{date_long_pretty}"
    return f"<!date^{int(instant.timestamp())}^{style}|{local_label(instant, zone)}>"


def number(value: float, *, digits: int = 1) -> str:
    text = f"{value:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.0%}"


def trend(
    current: float | None,
    previous: float | None,
    *,
    shown: Callable[[float | None], str] = lambda v: number(v or 0),
) -> str:
    """` ▲ from 8` beside a measure: how it moved since the previous quarter."""
    if previous is None:
        return "" if current is None else " (new this quarter)"
    if current is None:
        return f" (last quarter {shown(previous)})"
    if round(current, 6) == round(previous, 6):
        return f" {LEVEL} same as last quarter"
    arrow = UP if current > previous else DOWN
    return f" {arrow} from {shown(previous)}"


def sections(lines: Sequence[str], *, title: str = "", empty: str = "") -> list[Block]:
    """Lines as bullet sections, split so none passes Slack's 3,000-character limit."""
    if not lines:
        return [section(f"{title}\n{empty}".strip())] if (title or empty) else []
    blocks: list[Block] = []
    text = title
    for line in lines:
        bullet = f"• {line}"[:SECTION_LIMIT]
        if text and len(text) + 1 + len(bullet) > SECTION_LIMIT:
            blocks.append(section(text))
            text = ""
        text = f"{text}\n{bullet}" if text else bullet
    blocks.append(section(text))
    return blocks


def topic(title: str, parts: Iterable[list[Block]]) -> list[Block]:
    """A thread message's blocks: its header, then each part."""
    blocks = [header(title)]
    for part in parts:
        blocks.extend(part)
    return blocks


def messages(topics: Iterable[list[Block]]) -> list[list[Block]]:
    """One thread reply per topic, a long topic split into replies of at most 50 blocks."""
    replies: list[list[Block]] = []
    for blocks in topics:
        for start in range(0, len(blocks), MESSAGE_BLOCKS):
            replies.append(blocks[start : start + MESSAGE_BLOCKS])
    return replies
