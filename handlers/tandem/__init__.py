"""`/tandem`: the workspace's records as CSV files, and forgetting a person."""

from __future__ import annotations

from datetime import timedelta

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import SQLAlchemyError

from bot.services import Services
from core.wording import SORRY_STORAGE
from handlers.clicks import Clicked, on_click
from handlers.command import Asked, command
from handlers.common import in_background, usage_reply
from handlers.roles import UNCHECKED, lead_or_refused, person_of
from handlers.tandem import views
from handlers.tandem.export import send_export
from handlers.tandem.parse import TandemError, parse_export, parse_forget
from storage.erasure import forget_person

FORGET_CONFIRM = "tandem_forget_confirm"
FORGET_CANCEL = "tandem_forget_cancel"


def register(app: AsyncApp, services: Services) -> None:
    db = services.db

    async def usage(asked: Asked) -> None:
        await asked.ack(text=views.USAGE)

    async def export(asked: Asked) -> None:
        if await lead_or_refused(asked, services, views.EXPORT_REFUSAL) is None:
            return
        try:
            request = parse_export(asked.text)
        except TandemError as error:
            await asked.ack(text=usage_reply(str(error), views.USAGE))
            return
        now = services.now()
        await asked.ack(text=views.EXPORT_STARTED)
        in_background(
            send_export(
                engine=db.engine,
                client=asked.client,
                logger=asked.logger,
                team_id=asked.team_id,
                user_id=asked.user_id,
                days=request.days,
                since=now - timedelta(days=request.days) if request.days else None,
                now=now,
            )
        )

    async def admin_refusal(client: AsyncWebClient, user_id: str) -> str | None:
        """Why this person may not make Tandem forget anyone, or None if they may."""
        person = await person_of(client, services, user_id)
        if person.admin:
            return None
        return views.FORGET_REFUSAL if person.known else UNCHECKED

    async def forget(asked: Asked) -> None:
        if refused := await admin_refusal(asked.client, asked.user_id):
            await asked.ack(text=refused)
            return
        try:
            user_id = parse_forget(asked.text)
        except TandemError as error:
            await asked.ack(text=usage_reply(str(error), views.USAGE))
            return
        text, blocks = views.forget_question(
            user_id, confirm_action=FORGET_CONFIRM, cancel_action=FORGET_CANCEL
        )
        await asked.ack(text=text, blocks=blocks)

    command(app, "/tandem", views.USAGE, usage, {"export": export, "forget": forget})

    async def confirmed(click: Clicked) -> None:
        if refused := await admin_refusal(click.client, click.user_id):
            await click.ack()
            await click.tell(refused)
            return
        try:
            user_id = parse_forget(f"<@{click.value}>")
        except TandemError:
            await click.ack()
            return
        try:
            done = await db.write(forget_person, team_id=click.team_id, user_id=user_id)
        except SQLAlchemyError:
            click.logger.exception("could not forget a person")
            await click.ack()
            await click.tell(SORRY_STORAGE)
            return
        await click.ack()
        await click.tell(views.forgotten(user_id, done))

    async def cancelled(click: Clicked) -> None:
        await click.ack()
        await click.tell(views.CANCELLED)

    on_click(app, FORGET_CONFIRM, confirmed)
    on_click(app, FORGET_CANCEL, cancelled)
