"""Words and Block Kit for `/tandem`: its usage, refusals, the forget confirmation, receipts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from core.blocks import Block, plural, section, user
from storage.erasure import Forgotten

USAGE = (
    "*Export:* `/tandem export [days:N]` sends you, by direct message, one CSV file per kind "
    "of record (lead ratings, handoffs, intel, deals, collateral with votes, glossary, "
    "cadences); `days:30` keeps to the last 30 days. Team leads, workspace admins and owners.\n"
    "*Forget a person:* `/tandem forget @name` deletes their lead ratings and collateral votes "
    "and keeps their intel, deals and glossary entries as by “a former member”. Workspace "
    "admins and owners; asks to confirm.\n"
    "*This help:* `/tandem help`"
)
EXPORT_REFUSAL = (
    "Only team leads, workspace admins and owners can export Tandem's records. Ask one of them."
)
FORGET_REFUSAL = (
    "Only workspace admins and owners can make Tandem forget a person. Ask one of them."
)
EXPORT_STARTED = (
    "Making your export now: seven CSV files arrive in a direct message from Tandem in a moment."
)
EXPORT_FAILED = (
    "Sorry, Tandem could not make or send your export just now. Please try "
    "`/tandem export` again in a minute; if it keeps failing, tell whoever runs Tandem."
)
CANCELLED = "Nothing was forgotten."


def export_note(counts: Sequence[tuple[str, int]], *, days: int | None, now: datetime) -> str:
    """The message the files come with: what they cover and how many rows each holds."""
    covered = f"the last {plural(days, 'day')}" if days else "everything Tandem keeps"
    rows = ", ".join(f"{title}: {count:,}" for title, count in counts)
    return (
        f"Your Tandem export of {covered}, made {now:%Y-%m-%d %H:%M} UTC. "
        f"One CSV per kind, UTF-8, times in UTC. Rows — {rows}."
    )


def forget_question(
    user_id: str, *, confirm_action: str, cancel_action: str
) -> tuple[str, list[Block]]:
    """The ephemeral question `/tandem forget` asks before it acts: text and blocks."""
    who = user(user_id)
    text = (
        f"Forget {who}? Their lead ratings and collateral votes are deleted; their intel, "
        f"deals and glossary entries stay, shown as by “a former member”. This cannot be undone."
    )
    buttons: Block = {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": confirm_action,
                "text": {"type": "plain_text", "text": "Forget them"},
                "style": "danger",
                "value": user_id,
            },
            {
                "type": "button",
                "action_id": cancel_action,
                "text": {"type": "plain_text", "text": "Cancel"},
                "value": user_id,
            },
        ],
    }
    return text, [section(text), buttons]


def forgotten(user_id: str, done: Forgotten) -> str:
    """The receipt once a person was forgotten."""
    return (
        f"Forgot {user(user_id)}: deleted {plural(done.ratings, 'lead rating')} and "
        f"{plural(done.votes, 'collateral vote')}; {plural(done.attributed, 'record')} "
        f"kept as by a former member."
    )
