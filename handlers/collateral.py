"""`/collateral`: marketing shares collateral in a channel, and reps say what works."""

from __future__ import annotations

import re
from logging import Logger
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import SQLAlchemyError

from bot.services import Services
from core.text import TextError, escape, first_word
from core.wording import SORRY_STORAGE
from handlers import collateral_views as views
from handlers.collateral_input import (
    CollateralError,
    build_collateral,
    parse_add,
    parse_find,
    parse_tags,
    parse_vote,
)
from handlers.collateral_share import share
from handlers.common import CommandReply, in_time, save_and_confirm, team_of, usage_reply
from handlers.forms import FormReply, open_form
from storage.collateral import NewCollateral, cast_vote, find_collateral

USAGE = (
    "*Share:* `/collateral add URL TITLE [#tag …]`, for example "
    "`/collateral add https://example.com/hotel-case-study.pdf Hotel case study #hotels "
    "#case-study`. Only http:// and https:// links. Tandem announces it in this channel with "
    "buttons *Helpful*, *Not helpful* and *Used in a deal*; one vote per person, "
    "clicking another button changes it.\n"
    "*Find:* `/collateral find WORDS` or `/collateral find #tag` · *Form:* `/collateral` on its own"
)
FIND_USAGE = "`/collateral find WORDS` or `/collateral find #tag`, e.g. `/collateral find hotel`"
FIND_LIMIT = 20


def register(app: AsyncApp, services: Services) -> None:
    db = services.db

    @app.command("/collateral")
    async def collateral_command(
        ack: AsyncAck,
        command: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        logger: Logger,
    ) -> None:
        text = command.get("text", "").strip()
        verb, rest = first_word(text)
        channel_id = command.get("channel_id", "")

        async def announce(item: NewCollateral) -> str:
            outcome = await share(
                db=db,
                client=client,
                logger=logger,
                team_id=team_of(context),
                user_id=command["user_id"],
                channel_id=channel_id,
                item=item,
                now=services.now(),
            )
            return outcome.receipt()

        if not text:
            form = views.collateral_form(channel_id=channel_id)
            await open_form(ack, client, trigger_id=command["trigger_id"], view=form)
        elif verb == "find":
            await _find(ack=ack, context=context, text=rest)
        elif verb == "help":
            await ack(text=USAGE)
        elif verb != "add":
            await ack(text=usage_reply("Start with `add` or `find`.", USAGE))
        else:
            await save_and_confirm(
                CommandReply(ack, usage=USAGE),
                logger,
                failure="could not store collateral",
                check=lambda: parse_add(rest),
                save=announce,
            )

    async def _find(*, ack: AsyncAck, context: AsyncBoltContext, text: str) -> None:
        try:
            query = parse_find(text)
        except TextError as error:
            await ack(text=usage_reply(str(error), FIND_USAGE))
            return
        found = await db.read(
            find_collateral,
            team_id=team_of(context),
            words=query.words,
            tags=query.tags,
            limit=FIND_LIMIT,
        )
        await ack(
            text=f"Collateral matching {escape(query.text)}: {len(found)}",
            blocks=views.find_blocks(found, query=query.text, limit=FIND_LIMIT),
        )

    @app.view(views.FORM_ID)
    async def collateral_form_submitted(
        ack: AsyncAck,
        view: dict[str, Any],
        body: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        logger: Logger,
    ) -> None:
        values = views.read_form(view)

        async def announce(item: NewCollateral) -> str:
            outcome = await share(
                db=db,
                client=client,
                logger=logger,
                team_id=team_of(context),
                user_id=body["user"]["id"],
                channel_id=values["channel"],
                item=item,
                now=services.now(),
                receipt=f"view:{view['id']}",
            )
            if outcome.problem is not None:
                # Slack refused the channel picked: say so beside it, and let the form retry.
                raise CollateralError(outcome.problem, field="channel")
            return outcome.receipt()

        await save_and_confirm(
            FormReply(ack, title=views.TITLE, sorry_field="title", tick=False),
            logger,
            failure="could not store collateral from the form",
            check=lambda: build_collateral(
                url=values["url"], title=values["title"], tags=parse_tags(values["tags"])
            ),
            save=announce,
        )

    @app.action(re.compile(r"^collateral_vote_(helpful|not_helpful|used)$"))
    async def collateral_voted(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        logger: Logger,
    ) -> None:
        container = body.get("container") or {}
        channel_id = container.get("channel_id") or (body.get("channel") or {}).get("id", "")
        user_id = body["user"]["id"]

        async def tell(text: str) -> None:
            try:
                await client.chat_postEphemeral(channel=channel_id, user=user_id, text=text)
            except SlackApiError:
                logger.exception("could not answer a collateral vote")

        parsed = parse_vote(action.get("value", ""))
        if parsed is None:
            await ack()
            return
        try:
            result = await db.write(
                cast_vote,
                team_id=team_of(context),
                collateral_id=parsed[0],
                user_id=user_id,
                vote=parsed[1],
                now=services.now(),
            )
        except SQLAlchemyError:
            logger.exception("could not store a collateral vote")
            await ack()
            await tell(SORRY_STORAGE)
            return
        await ack()
        if result is None:
            await tell(views.GONE)
            return
        item = result.item

        async def show_counts() -> None:
            try:
                await client.chat_update(
                    channel=item.channel_id or channel_id,
                    ts=item.message_ts or container.get("message_ts", ""),
                    text=views.announcement_text(item),
                    blocks=views.announcement(item),
                )
            except SlackApiError:
                logger.exception("could not update the counts of a collateral announcement")
            await tell(views.vote_receipt(item, vote=result.vote, previous=result.previous))

        # The click is answered within Slack's 3 seconds even while Slack rate-limits updates.
        await in_time(show_counts())
