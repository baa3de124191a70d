"""`/winloss`: reps report won and lost deals, and why."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.services import Services
from handlers.command import Asked, command
from handlers.common import CommandReply, save_and_confirm, team_of
from handlers.forms import on_submission, open_form
from handlers.winloss import views
from handlers.winloss.parse import build_result, parse_result
from storage.winloss import NewResult, save_result

FORM = "winloss_form"


def register(app: AsyncApp, services: Services) -> None:
    db = services.db

    async def report(context: AsyncBoltContext, user_id: str, result: NewResult) -> str:
        """Store the report; the receipt for it."""
        replaced = await db.write(
            save_result,
            team_id=team_of(context),
            user_id=user_id,
            result=result,
            now=services.now(),
        )
        return views.confirmation(result, replaced=replaced)

    async def form(asked: Asked) -> None:
        view = views.report_form(callback_id=FORM, channel_id=asked.channel_id)
        await open_form(asked.ack, asked.client, trigger_id=asked.trigger_id, view=view)

    async def report_deal(asked: Asked) -> None:
        await save_and_confirm(
            CommandReply(asked.ack, usage=views.USAGE),
            asked.logger,
            failure="could not store a win/loss report",
            check=lambda: parse_result(asked.text),
            save=lambda result: report(asked.context, asked.user_id, result),
        )

    command(app, "/winloss", usage=views.USAGE, form=form, verbs={}, otherwise=report_deal)
    on_submission(
        app,
        FORM,
        title=views.TITLE,
        sorry_field="reason",
        failure="could not store a win/loss report from the form",
        check=lambda view: build_result(**views.read_form(view)),
        save=report,
    )
