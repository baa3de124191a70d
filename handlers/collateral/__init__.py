"""`/collateral`: marketing shares collateral in a channel, and reps say what works."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import SQLAlchemyError

from bot.services import Services
from core.text import TextError, escape
from core.wording import SORRY_STORAGE
from handlers.collateral import views
from handlers.collateral.parse import (
    CollateralError,
    build_collateral,
    parse_add,
    parse_find,
    parse_tags,
    parse_vote,
)
from handlers.collateral.share import share
from handlers.command import Asked, command
from handlers.common import CommandReply, in_time, save_and_confirm, team_of, usage_reply
from handlers.forms import FormReply, open_form
from storage.collateral import VOTES, NewCollateral, cast_vote, find_collateral

FORM = "collateral_form"
# Each vote button's action id; the vote itself travels in the button's value.
VOTE_ACTIONS: dict[str, str] = {vote: f"collateral_vote_{vote}" for vote in VOTES}
FIND_LIMIT = 20


def register(app: AsyncApp, services: Services) -> None:
    db = services.db

    async def form(asked: Asked) -> None:
        view = views.collateral_form(callback_id=FORM, channel_id=asked.channel_id)
        await open_form(asked.ack, asked.client, trigger_id=asked.trigger_id, view=view)

    async def add(asked: Asked) -> None:
        async def shared(item: NewCollateral) -> str:
            outcome = await share(
                db=db,
                client=asked.client,
                logger=asked.logger,
                team_id=asked.team_id,
                user_id=asked.user_id,
                channel_id=asked.channel_id,
                item=item,
                now=services.now(),
                vote_actions=VOTE_ACTIONS,
            )
            return outcome.receipt()

        await save_and_confirm(
            CommandReply(asked.ack, usage=views.USAGE),
            asked.logger,
            failure="could not store collateral",
            check=lambda: parse_add(asked.text),
            save=shared,
        )

    async def find(asked: Asked) -> None:
        try:
            query = parse_find(asked.text)
        except TextError as error:
            await asked.ack(text=usage_reply(str(error), views.FIND_USAGE))
            return
        found = await db.read(
            find_collateral,
            team_id=asked.team_id,
            words=query.words,
            tags=query.tags,
            limit=FIND_LIMIT,
        )
        await asked.ack(
            text=f"Collateral matching {escape(query.text)}: {len(found)}",
            blocks=views.find_blocks(found, query=query.text, limit=FIND_LIMIT),
        )

    async def neither(asked: Asked) -> None:
        await asked.ack(text=usage_reply(views.NOT_ADD_OR_FIND, views.USAGE))

    command(
        app,
        "/collateral",
        usage=views.USAGE,
        form=form,
        verbs={"add": add, "find": find},
        otherwise=neither,
    )

    @app.view(FORM)
    async def collateral_form_submitted(
        ack: AsyncAck,
        view: dict[str, Any],
        body: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        logger: Logger,
    ) -> None:
        values = views.read_form(view)

        async def shared(item: NewCollateral) -> str:
            outcome = await share(
                db=db,
                client=client,
                logger=logger,
                team_id=team_of(context),
                user_id=body["user"]["id"],
                channel_id=values["channel"],
                item=item,
                now=services.now(),
                vote_actions=VOTE_ACTIONS,
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
            save=shared,
        )

    async def voted(
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
                    blocks=views.announcement(item, vote_actions=VOTE_ACTIONS),
                )
            except SlackApiError:
                logger.exception("could not update the counts of a collateral announcement")
            await tell(views.vote_receipt(item, vote=result.vote, previous=result.previous))

        # The click is answered within Slack's 3 seconds even while Slack rate-limits updates.
        await in_time(show_counts())

    for action_id in VOTE_ACTIONS.values():
        app.action(action_id)(voted)
