"""`/intel` and the "Save as field intel" shortcut: post what the field hears, and search it."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import IntegrityError

from bot.services import Services
from core.blocks import plural
from core.text import escape, unescape
from handlers.command import Asked, command, opening, querying, saving
from handlers.common import Actor, in_time
from handlers.forms import Submitted, on_submission, open_form
from handlers.intel import views
from handlers.intel.parse import SearchQuery, build_intel, parse_intel, parse_search
from handlers.intel.views import Origin
from storage.intel import NewIntel, save_intel, search_intel

FORM = "intel_form"
SHORTCUT = "save_as_intel"
SEARCH_LIMIT = 20


def register(app: AsyncApp, services: Services) -> None:
    db = services.db

    async def post(
        actor: Actor,
        intel: NewIntel,
        *,
        origin: Origin,
        permalink: str | None = None,
        receipt: str | None = None,
    ) -> str:
        """Store the post; the receipt for it."""
        await db.write(
            save_intel,
            team_id=actor.team_id,
            intel=intel,
            author_id=origin.author_id or actor.user_id,
            posted_by=actor.user_id,
            channel_id=origin.channel_id,
            permalink=permalink,
            now=services.now(),
            receipt=receipt,
        )
        return views.confirmation(intel, permalink=permalink is not None)

    form = opening(
        lambda asked: views.intel_form(callback_id=FORM, origin=Origin(asked.channel_id or None))
    )

    async def answer_search(asked: Asked, query: SearchQuery) -> None:
        posts = await db.read(
            search_intel, team_id=asked.team_id, words=query.words, limit=SEARCH_LIMIT
        )
        await asked.ack(
            text=f"{plural(len(posts), 'intel post')} matching “{escape(query.text)}”",
            blocks=views.search_blocks(posts, query=query.text, limit=SEARCH_LIMIT),
        )

    search = querying(parse_search, views.SEARCH_USAGE, answer_search)

    async def post_here(asked: Asked, intel: NewIntel) -> str:
        return await post(asked, intel, origin=Origin(asked.channel_id or None))

    post_intel = saving(views.SAVING, parse_intel, post_here)

    verbs = {"search": search}
    command(app, "/intel", views.USAGE, form, verbs, post_intel)

    @app.shortcut(SHORTCUT)
    async def save_as_intel(
        ack: AsyncAck, shortcut: dict[str, Any], client: AsyncWebClient
    ) -> None:
        message = shortcut.get("message") or {}
        origin = Origin(
            channel_id=(shortcut.get("channel") or {}).get("id"),
            message_ts=shortcut.get("message_ts") or message.get("ts"),
            # A bot's message has no `user`; the person saving it stands in as its author.
            author_id=message.get("user") or shortcut["user"]["id"],
        )
        view = views.intel_form(
            callback_id=FORM, origin=origin, text=unescape(message.get("text") or "")
        )
        await open_form(ack, client, trigger_id=shortcut["trigger_id"], view=view)

    async def keep(form: Submitted, intel: NewIntel) -> str:
        origin = views.read_origin(form.view)
        permalink = None
        if origin.channel_id and origin.message_ts:
            permalink = await _permalink(form.client, origin, form.logger)
        try:
            return await post(form, intel, origin=origin, permalink=permalink, receipt=form.receipt)
        except IntegrityError:
            form.logger.info(
                "intel form %s was already stored by a concurrent request", form.receipt
            )
            return views.confirmation(intel, permalink=permalink is not None)

    on_submission(app, FORM, views.SAVING, lambda view: build_intel(**views.read_form(view)), keep)


async def _permalink(client: AsyncWebClient, origin: Origin, logger: Logger) -> str | None:
    """The message's link; a post is still worth keeping when Slack will not give one."""
    asked = client.chat_getPermalink(
        channel=origin.channel_id or "", message_ts=origin.message_ts or ""
    )
    try:
        response = await in_time(asked, seconds=1.0)
    except (SlackClientError, OSError):
        response = None
    if response is None:
        logger.warning("no permalink for %s/%s", origin.channel_id, origin.message_ts)
        return None
    link = response.get("permalink")
    return str(link) if link else None
