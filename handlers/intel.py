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
from core.text import escape, first_word, unescape
from core.wording import EXAMPLES
from handlers import intel_views
from handlers.common import CommandReply, in_time, save_and_confirm, team_of, usage_reply
from handlers.forms import FormReply, open_form
from handlers.intel_input import KIND_LIST, build_intel, parse_intel
from handlers.intel_views import Origin
from storage.intel import NewIntel, save_intel, search_intel, search_terms

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
SEARCH_LIMIT = 20


def confirmation(intel: NewIntel, *, permalink: bool = False) -> str:
    """The ephemeral receipt for a stored post."""
    label = intel_views.kind_label(intel.kind).lower()
    about = f" about *{escape(intel.subject)}*" if intel.subject else ""
    kept = " with a link to the message" if permalink else ""
    return f"Saved {label} intel{about}{kept}. Find it with `/intel search`."


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
        return confirmation(intel, permalink=permalink is not None)

    @app.command("/intel")
    async def intel_command(
        ack: AsyncAck,
        command: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        logger: Logger,
    ) -> None:
        text = command.get("text", "").strip()
        verb, rest = first_word(text)
        origin = Origin(channel_id=command.get("channel_id") or None)
        if not text:
            form = intel_views.intel_form(origin=origin)
            await open_form(ack, client, trigger_id=command["trigger_id"], view=form)
        elif verb == "help":
            await ack(text=USAGE)
        elif verb == "search":
            await _search(ack=ack, context=context, text=rest)
        else:
            await save_and_confirm(
                CommandReply(ack, usage=USAGE),
                logger,
                failure="could not store an intel post",
                check=lambda: parse_intel(text),
                save=lambda intel: post(context, intel, user_id=command["user_id"], origin=origin),
            )

    async def _search(*, ack: AsyncAck, context: AsyncBoltContext, text: str) -> None:
        query = unescape(text).strip()
        terms = search_terms(query.split())
        if not terms:
            await ack(text=usage_reply("What should I look for?", SEARCH_USAGE))
            return
        posts = await db.read(
            search_intel, team_id=team_of(context), words=terms, limit=SEARCH_LIMIT
        )
        await ack(
            text=f"{plural(len(posts), 'intel post')} matching “{escape(query)}”",
            blocks=intel_views.search_blocks(posts, query=query, limit=SEARCH_LIMIT),
        )

    @app.shortcut("save_as_intel")
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
        form = intel_views.intel_form(origin=origin, text=unescape(message.get("text") or ""))
        await open_form(ack, client, trigger_id=shortcut["trigger_id"], view=form)

    @app.view(intel_views.FORM_ID)
    async def intel_form_submitted(
        ack: AsyncAck,
        view: dict[str, Any],
        body: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        logger: Logger,
    ) -> None:
        origin = intel_views.read_origin(view)

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
                return confirmation(intel, permalink=permalink is not None)

        await save_and_confirm(
            FormReply(ack, title=intel_views.SAVED_TITLE, sorry_field="text"),
            logger,
            failure="could not store an intel post from the form",
            check=lambda: build_intel(**intel_views.read_form(view)),
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
