"""Block Kit and words for `/intel`: its usage, the posting form (also the shortcut's),
the search results, receipts."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.blocks import Block, context_line, plural, section, user
from core.text import escape
from core.wording import EXAMPLES
from handlers.common import Saving
from handlers.forms import Submission, View, input_block, modal, static_select, text_input
from handlers.intel.parse import KIND_LIST, LIMITS
from storage.intel import KINDS, NewIntel
from storage.models import IntelPost

USAGE = (
    "*Post field intel:* `/intel KIND:SUBJECT what you learned`, for example "
    f"{EXAMPLES['intel']} or "
    '`/intel customer:"Globex Corp" wants SSO before renewal`.\n'
    f"Kinds: {KIND_LIST} (`market:` may have no subject: `/intel market: buyers are delaying`). "
    "Quote a subject with spaces.\n"
    "*Search:* `/intel search WORDS` · *Form:* `/intel` on its own · "
    "*From a message:* its ⋯ menu, *Save as field intel*"
)
SEARCH_USAGE = "`/intel search WORDS`, for example `/intel search price EMEA`"
SAVED_TITLE = "Field intel"
SAVING = Saving(USAGE, SAVED_TITLE, sorry_field="text", what="an intel post")
_SHOWN_TEXT = 2000
_SAFE_LINK = re.compile(r"https://[^\s<>|]+")


@dataclass(frozen=True)
class Origin:
    """Where a post came from: the channel and, for the shortcut, the message and its author."""

    channel_id: str | None = None
    message_ts: str | None = None
    author_id: str | None = None


def kind_label(kind: str) -> str:
    return kind.title()


def intel_form(*, callback_id: str, origin: Origin, text: str = "") -> View:
    """The modal `/intel` opens on its own, and the one the message shortcut opens prefilled."""
    kinds = static_select((kind_label(kind), kind) for kind in KINDS)
    subject = text_input("Acme (may be empty for market)", max_length=LIMITS["subject"])
    body = text_input(
        "Acme cut list price 20% in EMEA",
        multiline=True,
        max_length=LIMITS["text"],
        initial=text[: LIMITS["text"]],
    )
    blocks = [
        input_block("kind", "Kind", kinds),
        input_block("subject", "Subject", subject, optional=True),
        input_block("text", "What did you learn?", body),
    ]
    if origin.message_ts:
        blocks.append(context_line("The link to the message is kept with the post."))
    metadata = {k: v for k, v in vars(origin).items() if v}
    return modal(
        callback_id=callback_id,
        title="Save as field intel" if origin.message_ts else "Post field intel",
        private_metadata=json.dumps(metadata, separators=(",", ":")),
        blocks=blocks,
    )


def read_form(view: dict[str, Any]) -> dict[str, Any]:
    """The submitted form's values, as `build_intel` keyword arguments."""
    form = Submission.of(view)
    return {
        "kind": form.choice("kind"),
        "subject": form.value("subject") or None,
        "text": form.value("text"),
    }


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


def confirmation(intel: NewIntel, *, permalink: bool = False) -> str:
    """The ephemeral receipt for a stored post."""
    label = kind_label(intel.kind).lower()
    about = f" about *{escape(intel.subject)}*" if intel.subject else ""
    kept = " with a link to the message" if permalink else ""
    return f"Saved {label} intel{about}{kept}. Find it with `/intel search`."


def headline(post: IntelPost) -> str:
    """`*Competitor · Acme*`, the subject escaped."""
    label = kind_label(post.kind)
    return f"*{label} · {escape(post.subject)}*" if post.subject else f"*{label}*"


def _meta(post: IntelPost) -> str:
    when = post.created_at
    parts = [user(post.author_id), f"{when:%b} {when.day}, {when.year}"]
    if post.permalink and _SAFE_LINK.fullmatch(post.permalink):
        parts.append(f"<{post.permalink}|original message>")
    return " · ".join(parts)


def search_blocks(posts: Sequence[IntelPost], *, query: str, limit: int) -> list[Block]:
    """`/intel search`: the matches, newest first, each with who posted it and its link."""
    shown = escape(query)
    if not posts:
        return [section(f"No field intel matches “{shown}”. Post some: {EXAMPLES['intel']}")]
    blocks = [section(f"*{plural(len(posts), 'post')} matching “{shown}”*, newest first")]
    for post in posts:
        text = post.text if len(post.text) <= _SHOWN_TEXT else post.text[: _SHOWN_TEXT - 1] + "…"
        blocks.append(section(f"{headline(post)}\n{escape(text)}"))
        blocks.append(context_line(_meta(post)))
    if len(posts) >= limit:
        blocks.append(context_line(f"Showing the newest {limit}; add words to narrow it down."))
    return blocks
