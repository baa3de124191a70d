"""`/collateral`: marketing shares collateral in a channel, and reps say what works."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from bot.services import Services
from core.text import escape
from core.wording import SORRY_STORAGE
from handlers.clicks import Clicked, on_click
from handlers.collateral import views
from handlers.collateral.parse import (
    CollateralError,
    FindQuery,
    build_collateral,
    parse_add,
    parse_find,
    parse_tags,
    parse_vote,
)
from handlers.collateral.share import Outcome, share
from handlers.command import Asked, command, opening, querying, saving
from handlers.common import Actor, in_time, usage_reply
from handlers.forms import Submitted, on_submission
from storage.collateral import VOTES, NewCollateral, cast_vote, find_collateral

FORM = "collateral_form"
# Each vote button's action id; the vote itself travels in the button's value.
VOTE_ACTIONS: dict[str, str] = {vote: f"collateral_vote_{vote}" for vote in VOTES}
FIND_LIMIT = 20


def register(app: AsyncApp, services: Services) -> None:
    db = services.db

    form = opening(
        lambda asked: views.collateral_form(callback_id=FORM, channel_id=asked.channel_id)
    )

    async def shared(
        actor: Actor, item: NewCollateral, channel_id: str, receipt: str | None
    ) -> Outcome:
        return await share(
            db=db,
            actor=actor,
            channel_id=channel_id,
            item=item,
            now=services.now(),
            vote_actions=VOTE_ACTIONS,
            receipt=receipt,
        )

    async def shared_here(asked: Asked, item: NewCollateral) -> str:
        return (await shared(asked, item, asked.channel_id, None)).receipt()

    add = saving(views.SAVING, parse_add, shared_here)

    async def answer_find(asked: Asked, query: FindQuery) -> None:
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

    find = querying(parse_find, views.FIND_USAGE, answer_find)

    async def neither(asked: Asked) -> None:
        await asked.ack(text=usage_reply(views.NOT_ADD_OR_FIND, views.USAGE))

    verbs = {"add": add, "find": find}
    command(app, "/collateral", views.USAGE, form, verbs, neither)

    async def shared_by_form(form: Submitted, item: NewCollateral) -> str:
        channel = views.read_form(form.view)["channel"]
        outcome = await shared(form, item, channel, form.receipt)
        if outcome.problem is not None:
            # Slack refused the channel picked: say so beside it, and let the form retry.
            raise CollateralError(outcome.problem, field="channel")
        return outcome.receipt()

    def checked(view: dict[str, Any]) -> NewCollateral:
        values = views.read_form(view)
        tags = parse_tags(values["tags"])
        return build_collateral(url=values["url"], title=values["title"], tags=tags)

    on_submission(app, FORM, views.SAVING, checked, shared_by_form)

    async def voted(click: Clicked) -> None:
        parsed = parse_vote(click.value)
        if parsed is None:
            await click.ack()
            return
        try:
            result = await db.write(
                cast_vote,
                team_id=click.team_id,
                collateral_id=parsed[0],
                user_id=click.user_id,
                vote=parsed[1],
                now=services.now(),
            )
        except SQLAlchemyError:
            click.logger.exception("could not store a collateral vote")
            await click.ack()
            await click.tell(SORRY_STORAGE)
            return
        await click.ack()
        if result is None:
            await click.tell(views.GONE)
            return
        item = result.item

        async def show_counts() -> None:
            try:
                await click.client.chat_update(
                    channel=item.channel_id or click.channel_id,
                    ts=item.message_ts or click.message_ts,
                    text=views.announcement_text(item),
                    blocks=views.announcement(item, vote_actions=VOTE_ACTIONS),
                )
            except SlackApiError:
                click.logger.exception("could not update the counts of a collateral announcement")
            await click.tell(views.vote_receipt(item, vote=result.vote, previous=result.previous))

        # The click is answered within Slack's 3 seconds even while Slack rate-limits updates.
        await in_time(show_counts())

    for action_id in VOTE_ACTIONS.values():
        on_click(app, action_id, voted)
