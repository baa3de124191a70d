"""Block Kit pieces and Slack's size limits, for messages, views and agendas alike.

Every builder takes mrkdwn that is already safe (user text escaped with `core.text.escape`)
and keeps within Slack's limits, so a long text is cut rather than refused by Slack.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from core.text import escape
from storage.erasure import FORMER_MEMBER

Block = dict[str, Any]
FORMER_LABEL = "a former member"  # who a forgotten person's intel, deals and terms are by

MESSAGE_BLOCKS = 50  # blocks in one message
VIEW_BLOCKS = 100  # blocks in a modal or the Home tab
SECTION_LIMIT = 3000  # characters of a section's text
HEADER_LIMIT = 150  # characters of a header
SNIPPET = 160  # characters of user text quoted on one line
# A section holds 3,000 characters; a link leaves room for tags, counts and an author.
LINK_BUDGET = 2400


def header(text: str) -> Block:
    return HeaderBlock(text=PlainTextObject(text=text[:HEADER_LIMIT])).to_dict()


def section(text: str) -> Block:
    if len(text) > SECTION_LIMIT:
        text = text[: SECTION_LIMIT - 1] + "…"
    return SectionBlock(text=MarkdownTextObject(text=text)).to_dict()


def context_line(text: str) -> Block:
    return ContextBlock(elements=[MarkdownTextObject(text=text[:SECTION_LIMIT])]).to_dict()


def divider() -> Block:
    return DividerBlock().to_dict()


def bullets(lines: Sequence[str], *, empty: str) -> str:
    """A mrkdwn bullet list, or the empty-state sentence."""
    return "\n".join(f"• {line}" for line in lines) if lines else empty


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else (nouns or noun + 's')}"


def clip(text: str, limit: int = SNIPPET) -> str:
    """User text on one line, shortened, escaped for mrkdwn."""
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return escape(flat)


def link_target(url: str) -> str:
    """The URL as it stands inside Slack's `<url|label>`: `|` and `>` would end it early."""
    return escape(url).replace("|", "%7C")


def link(url: str | None, label: str) -> str:
    """`label` (already escaped) linking to `url`; just the label without a URL."""
    return f"<{link_target(url)}|{label}>" if url else label


def titled_link(url: str, title: str) -> str:
    """A link labelled with `title` as typed (escaped here), never a live mention.

    Kept within LINK_BUDGET characters, so a section around it is never cut mid-link.
    """
    target, label = link_target(url), escape(title)
    room = LINK_BUDGET - len(target)
    if len(label) > room:
        # Escaping makes a character at most five long.
        label = escape(title[: max(room // 5 - 1, 1)]) + "…"
    return f"<{target}|{label}>"


def user(user_id: str) -> str:
    """A mention of a Slack user by id (ids come from Slack, never from typed text); someone
    Tandem was told to forget is "a former member"."""
    return FORMER_LABEL if user_id == FORMER_MEMBER else f"<@{user_id}>"


def sections(lines: Sequence[str], *, title: str = "") -> list[Block]:
    """Lines as bullet sections, split so none passes Slack's 3,000-character limit."""
    if not lines:
        return [section(title)] if title else []
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


def local_label(instant: datetime, zone: str) -> str:
    """`Tue 3 Mar 2026, 10:00 EST` in the meeting's zone, for plain text."""
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M %Z}"


def slack_date(instant: datetime, zone: str) -> str:
    """A date and time each reader sees in their own time zone, with the meeting's as fallback."""
    style = "{date_long_pretty} at {time}"
    return f"<!date^{int(instant.timestamp())}^{style}|{local_label(instant, zone)}>"
