"""`/lead`: reps rate the leads marketing hands them, and say why."""

from __future__ import annotations

from datetime import timedelta

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.services import Services
from core.text import TextError
from handlers.command import Asked, command
from handlers.common import CommandReply, save_and_confirm, team_of, usage_reply
from handlers.forms import on_submission, open_form
from handlers.lead import views
from handlers.lead.parse import build_rating, parse_rating, parse_stats
from storage.leads import NewRating, RatingWrite, lead_stats, save_ratings

FORM = "lead_rating_form"


def register(app: AsyncApp, services: Services) -> None:
    db = services.db

    async def rate(context: AsyncBoltContext, user_id: str, rating: NewRating) -> str:
        """Store the rating; the receipt for it."""
        write = RatingWrite(
            team_id=team_of(context), user_id=user_id, rating=rating, now=services.now()
        )
        replaced: bool = await db.write_many(save_ratings, write)
        return views.confirmation(rating, replaced=replaced)

    async def form(asked: Asked) -> None:
        view = views.rating_form(callback_id=FORM, channel_id=asked.channel_id)
        await open_form(asked.ack, asked.client, trigger_id=asked.trigger_id, view=view)

    async def stats(asked: Asked) -> None:
        try:
            query = parse_stats(asked.text)
        except TextError as error:
            await asked.ack(text=usage_reply(str(error), views.STATS_USAGE))
            return
        since = services.now() - timedelta(days=query.days)
        found = await db.read(
            lead_stats, team_id=asked.team_id, since=since, campaign=query.campaign
        )
        await asked.ack(
            text=f"Lead ratings: {found.overall.count}",
            blocks=views.stats_blocks(found, days=query.days, campaign=query.campaign),
        )

    async def rate_lead(asked: Asked) -> None:
        await save_and_confirm(
            CommandReply(asked.ack, usage=views.USAGE),
            asked.logger,
            failure="could not store a lead rating",
            check=lambda: parse_rating(asked.text),
            save=lambda rating: rate(asked.context, asked.user_id, rating),
        )

    command(app, "/lead", usage=views.USAGE, form=form, verbs={"stats": stats}, otherwise=rate_lead)
    on_submission(
        app,
        FORM,
        title=views.TITLE,
        sorry_field="reason",
        failure="could not store a lead rating from the form",
        check=lambda view: build_rating(**views.read_form(view)),
        save=rate,
    )
