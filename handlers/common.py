"""What every feature's listeners share: Block Kit pieces, workspace scope, apologies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

Block = dict[str, Any]

SORRY_STORAGE = (
    "Sorry, Tandem could not reach its database just now, so nothing was saved. "
    "Please try again in a minute."
)
SECTION_LIMIT = 3000


def team_of(context: Mapping[str, Any]) -> str:
    """The workspace a request belongs to; every row Tandem keeps is scoped by it."""
    team = context.get("team_id") or context.get("enterprise_id")
    if not team:
        raise ValueError("a Slack request without a workspace")
    return str(team)


def usage_reply(problem: str, usage: str) -> str:
    """What went wrong, then the right form."""
    return f"{problem}\n{usage}"


def header(text: str) -> Block:
    return HeaderBlock(text=PlainTextObject(text=text[:150])).to_dict()


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
