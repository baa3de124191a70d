"""`/lead`: reps rate the leads marketing hands them, and say why."""

from __future__ import annotations

from datetime import timedelta

from slack_bolt.async_app import AsyncApp

from bot.services import Services
from handlers.command import Asked, command, opening, querying, saving
from handlers.common import Actor
from handlers.forms import on_submission
from handlers.lead import views
from handlers.lead.parse import StatsQuery, build_rating, parse_rating, parse_stats
from storage.leads import NewRating, RatingWrite, lead_stats, save_ratings

FORM = "lead_rating_form"


def register(app: AsyncApp, services: Services) -> None:
    db = services.db

    async def rate(actor: Actor, rating: NewRating) -> str:
        """Store the rating; the receipt for it."""
        write = RatingWrite(
            team_id=actor.team_id, user_id=actor.user_id, rating=rating, now=services.now()
        )
        replaced: bool = await db.write_many(save_ratings, write)
        return views.confirmation(rating, replaced=replaced)

    form = opening(lambda asked: views.rating_form(callback_id=FORM, channel_id=asked.channel_id))

    async def answer_stats(asked: Asked, query: StatsQuery) -> None:
        since = services.now() - timedelta(days=query.days)
        found = await db.read(
            lead_stats, team_id=asked.team_id, since=since, campaign=query.campaign
        )
        await asked.ack(
            text=f"Lead ratings: {found.overall.count}",
            blocks=views.stats_blocks(found, days=query.days, campaign=query.campaign),
        )

    stats = querying(parse_stats, views.STATS_USAGE, answer_stats)

    rate_lead = saving(views.SAVING, parse_rating, rate)

    command(app, "/lead", views.USAGE, form, {"stats": stats}, rate_lead)
    on_submission(app, FORM, views.SAVING, lambda view: build_rating(**views.read_form(view)), rate)
