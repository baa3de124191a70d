"""Block Kit and words for `/collateral`: its usage, the channel announcement, the form,
search results, receipts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from core.blocks import Block, context_line, header, plural, section, titled_link, user
from core.text import escape
from handlers.collateral.parse import LIMITS
from handlers.common import Saving
from handlers.forms import Submission, View, input_block, modal, plain, text_input
from storage.collateral import VOTES, Announced
from storage.models import Collateral

USAGE = (
    "*Share:* `/collateral add URL TITLE [#tag …]`, for example "
    "`/collateral add https://example.com/hotel-case-study.pdf Hotel case study #hotels "
    "#case-study`. Only http:// and https:// links. Tandem announces it in this channel with "
    "buttons *Helpful*, *Not helpful* and *Used in a deal*; one vote per person, "
    "clicking another button changes it.\n"
    "*Find:* `/collateral find WORDS` or `/collateral find #tag` · *Form:* `/collateral` on its own"
)
FIND_USAGE = "`/collateral find WORDS` or `/collateral find #tag`, e.g. `/collateral find hotel`"
NOT_ADD_OR_FIND = "Start with `add` or `find`."
TITLE = "Share collateral"
SAVING = Saving(USAGE, TITLE, sorry_field="title", what="collateral", tick=False)
VOTE_LABELS = {"helpful": "Helpful", "not_helpful": "Not helpful", "used": "Used in a deal"}
_COUNT_NOUNS = {"helpful": "helpful", "not_helpful": "not helpful", "used": "used in a deal"}
REPEATED = "This was already shared once; it was not shared again."
GONE = "That item is no longer in Tandem, so the vote was not counted."
_NOT_ANNOUNCED = {
    "not_in_channel": "Tandem is not a member of {channel}. Invite it there with "
    "`/invite @Tandem`, then try again.",
    "channel_not_found": "Tandem cannot post in {channel} (a direct message, or a private "
    "channel it was not invited to). Pick a channel and invite Tandem with `/invite @Tandem`.",
    "is_archived": "{channel} is archived. Pick another channel.",
}


def tag_line(tags: tuple[str, ...]) -> str:
    return " ".join(f"`#{escape(tag)}`" for tag in tags)


def counts_line(counts: dict[str, int]) -> str:
    return " · ".join(f"{counts.get(vote, 0):,} {_COUNT_NOUNS[vote]}" for vote in VOTES)


def vote_value(collateral_id: int, vote: str) -> str:
    return f"{collateral_id}:{vote}"


def announcement_text(item: Announced) -> str:
    """The notification text of the announcement (no markup from the title comes alive)."""
    return f"New collateral: {escape(item.title)}"


def announcement(item: Announced, *, vote_actions: Mapping[str, str]) -> list[Block]:
    """The channel post: the linked title, its tags, who shared it, the buttons and counts.

    `vote_actions` gives each vote's button its action id.
    """
    tags = tag_line(item.tags)
    buttons = [
        {
            "type": "button",
            "action_id": vote_actions[vote],
            "text": {"type": "plain_text", "text": VOTE_LABELS[vote]},
            "value": vote_value(item.id, vote),
            **({"style": "primary"} if vote == "helpful" else {}),
        }
        for vote in VOTES
    ]
    return [
        section(
            f":bookmark_tabs: *{titled_link(item.url, item.title)}*" + (f"\n{tags}" if tags else "")
        ),
        context_line(f"Shared by {user(item.author_id)} · {counts_line(item.counts)}"),
        {"type": "actions", "elements": buttons},
    ]


def confirmation(item: Announced) -> str:
    where = f" in <#{item.channel_id}>" if item.channel_id else ""
    tags = f" tagged {tag_line(item.tags)}" if item.tags else ""
    return (
        f"Announced {titled_link(item.url, item.title)}{where}{tags}. "
        "People can now mark it Helpful, Not helpful or Used in a deal."
    )


def not_announced(error: str | None, channel_id: str) -> str:
    """Why an item was not shared, when Slack refused its announcement."""
    template = _NOT_ANNOUNCED.get(error or "")
    reason = (
        template.format(channel=f"<#{channel_id}>")
        if template
        else f"Slack did not accept the announcement ({escape(error or 'no answer')}). "
        "Please try again in a minute."
    )
    return f"Nothing was shared: {reason}"


def announcing_later(channel_id: str) -> str:
    """When Slack is slow to take the announcement: not in yet, and it may not make it."""
    return (
        f"Not announced yet: Slack is holding back posts in <#{channel_id}> just now. Tandem "
        "keeps trying for about a minute; if Slack still refuses, nothing is shared and you "
        "will be told here."
    )


def unconfirmed(channel_id: str) -> str:
    """When the announcement went to Slack and no answer came back: it may be there or not."""
    return (
        f"Slack did not confirm the announcement in <#{channel_id}>: no clear answer came back "
        "after Tandem sent it, so it may or may not be there. The item is saved either way "
        "and `/collateral find` lists it; share it again only if no announcement appears."
    )


def vote_receipt(item: Announced, *, vote: str, previous: str | None) -> str:
    """What the voter alone sees after a click."""
    title = escape(item.title)
    if previous == vote:
        return f"Your vote on “{title}” stays *{VOTE_LABELS[vote]}*."
    changed = f" (was {VOTE_LABELS[previous]})" if previous else ""
    return (
        f"You marked “{title}” *{VOTE_LABELS[vote]}*{changed}. "
        "Click another button to change your vote."
    )


def _date(moment: datetime) -> str:
    return f"<!date^{int(moment.timestamp())}^{{date_short}}|{moment:%Y-%m-%d}>"


def find_blocks(
    found: list[tuple[Collateral, dict[str, int]]], *, query: str, limit: int
) -> list[Block]:
    """`/collateral find`: each match with its link, tags and vote counts, newest first."""
    if not found:
        return [
            section(
                f"No collateral matches {escape(query)}. Share some with "
                "`/collateral add https://example.com/case-study.pdf Hotel case study #hotels`."
            )
        ]
    blocks = [header(f"Collateral: {plural(len(found), 'match', 'matches')}")]
    for item, counts in found:
        tags = tag_line(tuple(item.tags.split()))
        blocks.append(
            section(
                f"*{titled_link(item.url, item.title)}*" + (f"  {tags}" if tags else "") + "\n"
                f"{counts_line(counts)} · shared by {user(item.author_id)} {_date(item.created_at)}"
            )
        )
    if len(found) >= limit:
        blocks.append(context_line(f"Showing the newest {limit}; add words to narrow it down."))
    return blocks


def collateral_form(*, callback_id: str, channel_id: str) -> View:
    """The modal `/collateral` opens when typed on its own."""
    url = {"type": "url_text_input", "placeholder": plain("https://example.com/case-study.pdf")}
    channel = {
        "type": "conversations_select",
        "default_to_current_conversation": True,
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    return modal(
        callback_id=callback_id,
        title=TITLE,
        private_metadata=channel_id,
        submit="Announce",
        blocks=[
            input_block("url", "Link", url),
            input_block(
                "title", "Title", text_input("Hotel case study", max_length=LIMITS["title"])
            ),
            input_block("tags", "Tags", text_input("#hotels #case-study"), optional=True),
            input_block("channel", "Announce in", channel),
        ],
    )


def read_form(view: dict[str, Any]) -> dict[str, str]:
    """The submitted form's raw values."""
    form = Submission.of(view)
    return {
        "url": form.value("url").strip(),
        "title": form.value("title"),
        "tags": form.value("tags"),
        "channel": form.value("channel", "selected_conversation")
        or view.get("private_metadata", ""),
    }
