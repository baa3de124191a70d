"""`/winloss`: reps report won and lost deals, and why."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.services import Services
from handlers.command import command, opening, saving
from handlers.common import Actor
from handlers.forms import on_submission
from handlers.winloss import views
from handlers.winloss.parse import build_result, parse_result
from storage.winloss import NewResult, save_result

FORM = "winloss_form"


def register(app: AsyncApp, services: Services) -> None:
    db = services.db

    async def report(actor: Actor, result: NewResult) -> str:
        """Store the report; the receipt for it."""
        replaced = await db.write(
            save_result,
            team_id=actor.team_id,
            user_id=actor.user_id,
            result=result,
            now=services.now(),
        )
        return views.confirmation(result, replaced=replaced)

    form = opening(lambda asked: views.report_form(callback_id=FORM, channel_id=asked.channel_id))
    report_deal = saving(views.SAVING, parse_result, report)

    command(app, "/winloss", views.USAGE, form, {}, report_deal)
    on_submission(
        app, FORM, views.SAVING, lambda view: build_result(**views.read_form(view)), report
    )
