"""Block Kit for `/intel`: the posting form (also the shortcut's) and the search results."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from handlers.common import Block, context_line, plural, section
from handlers.text import escape
from storage.intel import KINDS
from storage.models import IntelPost

FORM_ID = "intel_form"
TEXT_LIMIT = 3000
SUBJECT_LIMIT = 200
_SHOWN_TEXT = 2000
_SAFE_LINK = re.compile(r"https://[^\s<>|]+")


@dataclass(frozen=True)
class Origin:
    """Where a post came from: the channel and, for the shortcut, the message and its author."""

    channel_id: str | None = None
    message_ts: str | None = None
    author_id: str | None = None


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "element": {"action_id": "value", **element},
    }


def kind_label(kind: str) -> str:
    return kind.title()


def intel_form(*, origin: Origin, text: str = "") -> dict[str, Any]:
    """The modal `/intel` opens on its own, and the one the message shortcut opens prefilled."""
    kinds = [{"text": {"type": "plain_text", "text": kind_label(k)}, "value": k} for k in KINDS]
    body: dict[str, Any] = {
        "type": "plain_text_input",
        "multiline": True,
        "max_length": TEXT_LIMIT,
        "placeholder": {"type": "plain_text", "text": "Acme cut list price 20% in EMEA"},
    }
    if text:
        body["initial_value"] = text[:TEXT_LIMIT]
    blocks = [
        _input("kind", "Kind", {"type": "static_select", "options": kinds}),
        _input(
            "subject",
            "Subject",
            {
                "type": "plain_text_input",
                "max_length": SUBJECT_LIMIT,
                "placeholder": {"type": "plain_text", "text": "Acme (may be empty for market)"},
            },
            optional=True,
        ),
        _input("text", "What did you learn?", body),
    ]
    if origin.message_ts:
        blocks.append(context_line("The link to the message is kept with the post."))
    metadata = {k: v for k, v in vars(origin).items() if v}
    title = "Save as field intel" if origin.message_ts else "Post field intel"
    return {
        "type": "modal",
        "callback_id": FORM_ID,
        "private_metadata": json.dumps(metadata, separators=(",", ":")),
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def read_form(view: dict[str, Any]) -> dict[str, Any]:
    """The submitted form's values, as `build_intel` keyword arguments."""
    values = view["state"]["values"]

    def text(block: str) -> str:
        return values.get(block, {}).get("value", {}).get("value") or ""

    kind = (values.get("kind", {}).get("value", {}).get("selected_option") or {}).get("value")
    return {"kind": kind or "", "subject": text("subject") or None, "text": text("text")}


def read_origin(view: dict[str, Any]) -> Origin:
    """The origin the form was opened with, from its private_metadata."""
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return Origin()
    if not isinstance(data, dict):
        return Origin()
    fields = ("channel_id", "message_ts", "author_id")
    return Origin(**{name: str(data[name]) for name in fields if data.get(name)})


def saved(message: str, *, title: str = "Field intel") -> dict[str, Any]:
    """What the form turns into once the post is stored."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": title},
        "close": {"type": "plain_text", "text": "Done"},
        "blocks": [section(f":white_check_mark: {message}")],
    }


def headline(post: IntelPost) -> str:
    """`*Competitor · Acme*`, the subject escaped."""
    label = kind_label(post.kind)
    return f"*{label} · {escape(post.subject)}*" if post.subject else f"*{label}*"


def _meta(post: IntelPost) -> str:
    when = post.created_at
    parts = [f"<@{post.author_id}>", f"{when:%b} {when.day}, {when.year}"]
    if post.permalink and _SAFE_LINK.fullmatch(post.permalink):
        parts.append(f"<{post.permalink}|original message>")
    return " · ".join(parts)


def search_blocks(posts: Sequence[IntelPost], *, query: str, limit: int) -> list[Block]:
    """`/intel search`: the matches, newest first, each with who posted it and its link."""
    shown = escape(query)
    if not posts:
        return [
            section(
                f"No field intel matches “{shown}”. Post some: "
                "`/intel competitor:Acme cut list price 20% in EMEA`"
            )
        ]
    blocks = [section(f"*{plural(len(posts), 'post')} matching “{shown}”*, newest first")]
    for post in posts:
        text = post.text if len(post.text) <= _SHOWN_TEXT else post.text[: _SHOWN_TEXT - 1] + "…"
        blocks.append(section(f"{headline(post)}\n{escape(text)}"))
        blocks.append(context_line(_meta(post)))
    if len(posts) >= limit:
        blocks.append(context_line(f"Showing the newest {limit}; add words to narrow it down."))
    return blocks
