"""`/competitor`: one card per rival, from everything both teams collected."""

from __future__ import annotations

from datetime import datetime, timedelta

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from bot.services import Services
from core.competitors import nearest_names
from core.wording import SORRY_STORAGE
from handlers.clicks import Clicked, on_click
from handlers.command import Asked, command, opening, querying, saving
from handlers.common import Actor, in_time
from handlers.competitor import views
from handlers.competitor.parse import (
    Aliases,
    CardEntry,
    build_card,
    parse_aliases,
    parse_name,
)
from handlers.forms import Submitted, on_submission, open_form
from storage.competitors import (
    CardData,
    add_aliases,
    card_data,
    competitor_list,
    find_card,
    save_card,
)

FORM = "competitor_form"
SHARE = "competitor_share"


def register(app: AsyncApp, services: Services) -> None:
    db = services.db

    def since() -> datetime:
        """The start of the card's and the list's window; it runs up to now, inclusive."""
        return services.now() - timedelta(days=views.DAYS)

    async def read_card(team_id: str, name: str) -> CardData:
        return await db.read(
            card_data, team_id=team_id, name=name, since=since(), newest=views.NEWEST
        )

    async def show(asked: Asked, name: str) -> None:
        data = await read_card(asked.team_id, name)
        if not data.known:
            rows = await db.read(competitor_list, team_id=asked.team_id, since=since())
            suggestions = nearest_names(name, (row.name for row in rows))
            await asked.ack(text=views.unknown(name, suggestions))
            return
        blocks = views.card_blocks(data, now=services.now(), share_action=SHARE)
        await asked.ack(text=views.card_text(data), blocks=blocks)

    async def edit(asked: Asked, name: str) -> None:
        card = await db.read(find_card, team_id=asked.team_id, name=name)
        view = views.card_form(
            callback_id=FORM,
            channel_id=asked.channel_id,
            name=card.name if card else name,
            card=card,
        )
        await open_form(asked.ack, asked.client, trigger_id=asked.trigger_id, view=view)

    async def list_all(asked: Asked) -> None:
        rows = await db.read(competitor_list, team_id=asked.team_id, since=since())
        await asked.ack(text=f"{len(rows)} competitors", blocks=views.list_blocks(rows))

    async def alias(actor: Actor, request: Aliases) -> str:
        result = await db.write(
            add_aliases,
            team_id=actor.team_id,
            name=request.name,
            aliases=request.aliases,
            user_id=actor.user_id,
            now=services.now(),
        )
        return views.aliased(result)

    async def save(actor: Actor, entry: CardEntry) -> str:
        shown = await db.write(
            save_card,
            team_id=actor.team_id,
            name=entry.name,
            text=entry.text,
            user_id=actor.user_id,
            now=services.now(),
        )
        return views.saved(shown)

    form = opening(
        lambda asked: views.card_form(
            callback_id=FORM, channel_id=asked.channel_id, name="", card=None
        )
    )
    verbs = {
        "edit": querying(parse_name, views.USAGE, edit),
        "alias": saving(views.ALIAS_SAVING, parse_aliases, alias),
        "list": list_all,
    }
    command(app, "/competitor", views.USAGE, form, verbs, querying(parse_name, views.USAGE, show))

    def checked(view: dict[str, object]) -> CardEntry:
        return build_card(**views.read_form(dict(view)))

    async def saved_by_form(form: Submitted, entry: CardEntry) -> str:
        return await save(form, entry)

    on_submission(app, FORM, views.SAVING, checked, saved_by_form)

    async def share(click: Clicked) -> None:
        await click.ack()
        try:
            data = await read_card(click.team_id, click.value)
        except SQLAlchemyError:
            click.logger.exception("could not read a competitor card to share")
            await click.tell(SORRY_STORAGE)
            return
        blocks = views.card_blocks(data, now=services.now(), shared_by=click.user_id)

        async def post() -> None:
            try:
                await click.client.chat_postMessage(
                    channel=click.channel_id, text=views.card_text(data), blocks=blocks
                )
            except SlackApiError as error:
                click.logger.warning("could not share a competitor card: %s", error)
                await click.tell(views.not_shared(str(error.response.get("error"))))

        # The click is answered within Slack's 3 seconds even while Slack is slow to post.
        await in_time(post())

    on_click(app, SHARE, share)
