"""`/intel` and the "Save as field intel" shortcut: post what the field hears, and search it."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import IntegrityError

from bot.services import Services
from core.blocks import plural
from core.text import escape, unescape
from handlers.command import Asked, command
from handlers.common import CommandReply, in_time, save_and_confirm, team_of, usage_reply
from handlers.forms import FormReply, open_form
from handlers.intel import views
from handlers.intel.parse import build_intel, parse_intel
from handlers.intel.views import Origin
from storage.intel import NewIntel, save_intel, search_intel, search_terms

FORM = "intel_form"
SHORTCUT = "save_as_intel"
SEARCH_LIMIT = 20


def register(app: AsyncApp, services: Services) -> None:
    db = services.db

    async def post(
        context: AsyncBoltContext,
        intel: NewIntel,
        *,
        user_id: str,
        origin: Origin,
        permalink: str | None = None,
        receipt: str | None = None,
    ) -> str:
        """Store the post; the receipt for it."""
        await db.write(
            save_intel,
            team_id=team_of(context),
            intel=intel,
            author_id=origin.author_id or user_id,
            posted_by=user_id,
            channel_id=origin.channel_id,
            permalink=permalink,
            now=services.now(),
            receipt=receipt,
        )
        return views.confirmation(intel, permalink=permalink is not None)

    async def form(asked: Asked) -> None:
        origin = Origin(channel_id=asked.channel_id or None)
        view = views.intel_form(callback_id=FORM, origin=origin)
        await open_form(asked.ack, asked.client, trigger_id=asked.trigger_id, view=view)

    async def search(asked: Asked) -> None:
        query = unescape(asked.text).strip()
        terms = search_terms(query.split())
        if not terms:
            await asked.ack(text=usage_reply("What should I look for?", views.SEARCH_USAGE))
            return
        posts = await db.read(search_intel, team_id=asked.team_id, words=terms, limit=SEARCH_LIMIT)
        await asked.ack(
            text=f"{plural(len(posts), 'intel post')} matching “{escape(query)}”",
            blocks=views.search_blocks(posts, query=query, limit=SEARCH_LIMIT),
        )

    async def post_intel(asked: Asked) -> None:
        origin = Origin(channel_id=asked.channel_id or None)
        await save_and_confirm(
            CommandReply(asked.ack, usage=views.USAGE),
            asked.logger,
            failure="could not store an intel post",
            check=lambda: parse_intel(asked.text),
            save=lambda intel: post(asked.context, intel, user_id=asked.user_id, origin=origin),
        )

    command(
        app,
        "/intel",
        usage=views.USAGE,
        form=form,
        verbs={"search": search},
        otherwise=post_intel,
    )

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

    @app.view(FORM)
    async def intel_form_submitted(
        ack: AsyncAck,
        view: dict[str, Any],
        body: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        logger: Logger,
    ) -> None:
        origin = views.read_origin(view)

        async def keep(intel: NewIntel) -> str:
            permalink = None
            if origin.channel_id and origin.message_ts:
                permalink = await _permalink(client, origin, logger)
            try:
                return await post(
                    context,
                    intel,
                    user_id=body["user"]["id"],
                    origin=origin,
                    permalink=permalink,
                    # Slack may deliver one submission twice; the view id makes it one post.
                    receipt=f"view:{view['id']}",
                )
            except IntegrityError:
                logger.info("intel form %s was already stored by a concurrent request", view["id"])
                return views.confirmation(intel, permalink=permalink is not None)

        await save_and_confirm(
            FormReply(ack, title=views.SAVED_TITLE, sorry_field="text"),
            logger,
            failure="could not store an intel post from the form",
            check=lambda: build_intel(**views.read_form(view)),
            save=keep,
        )


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
