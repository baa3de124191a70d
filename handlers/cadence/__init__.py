"""`/cadence`: where and when the field-intel and planning meetings are held."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.services import Services
from core.meetings import occurrences, schedule_of
from core.text import first_word
from handlers.cadence import views, words
from handlers.cadence.change import Asker, apply_set, stop
from handlers.cadence.parse import (
    KINDS,
    CadenceError,
    build_request,
    default_cadence,
    parse_kind,
    parse_set,
)
from handlers.command import Asked, command
from handlers.common import CommandReply, in_a_dm, save_and_confirm, team_of, usage_reply
from handlers.forms import FormReply, open_form
from handlers.roles import Person, lead_or_refused, person_of, refusal
from scheduler.agenda import build_agenda
from storage.cadences import active_cadences, find_cadence

FORM = "cadence_form"


def register(app: AsyncApp, services: Services) -> None:
    db = services.db

    async def allowed(asked: Asked) -> Person | None:
        return await lead_or_refused(asked, services, words.REFUSAL)

    async def form(asked: Asked) -> None:
        if await allowed(asked) is None:
            return
        if in_a_dm(asked.channel_id):
            await asked.ack(text=words.IN_A_DM)
            return
        view = views.cadence_form(callback_id=FORM, channel_id=asked.channel_id)
        await open_form(asked.ack, asked.client, trigger_id=asked.trigger_id, view=view)

    async def set_meeting(asked: Asked) -> None:
        if (person := await allowed(asked)) is None:
            return
        await save_and_confirm(
            CommandReply(asked.ack, usage=views.USAGE),
            asked.logger,
            failure="could not store a cadence",
            check=lambda: parse_set(asked.text),
            save=lambda request: apply_set(
                db=db, asker=_asker(asked), request=request, person=person, now=services.now()
            ),
        )

    async def turn_meeting_off(asked: Asked) -> None:
        if await allowed(asked) is None:
            return
        await save_and_confirm(
            CommandReply(asked.ack, usage=views.USAGE),
            asked.logger,
            failure="could not turn a cadence off",
            check=lambda: parse_kind(asked.text),
            save=lambda kind: stop(db=db, asker=_asker(asked), kind=kind),
        )

    async def show(asked: Asked, *, upcoming: bool) -> None:
        cadences = await db.read(active_cadences, team_id=asked.team_id)
        await asked.ack(**views.cadences_message(cadences, upcoming=upcoming, now=services.now()))

    async def list_set(asked: Asked) -> None:
        await show(asked, upcoming=False)

    async def list_next(asked: Asked) -> None:
        await show(asked, upcoming=True)

    async def preview(asked: Asked) -> None:
        try:
            kind = parse_kind(asked.text)
            cadence = await db.read(find_cadence, team_id=asked.team_id, kind=kind)
            default = cadence is None or not cadence.active
            if cadence is None or not cadence.active:
                zone = (await person_of(asked.client, services, asked.user_id)).zone or "UTC"
                cadence = default_cadence(
                    team_id=asked.team_id, channel_id=asked.channel_id, kind=kind, zone=zone
                )
            now = services.now()
            (occurrence,) = occurrences(schedule_of(cadence), after=now, count=1)
            agenda = await db.read(build_agenda, cadence=cadence, occurrence=occurrence, now=now)
        except CadenceError as error:
            await asked.ack(text=usage_reply(str(error), views.USAGE))
            return
        await asked.ack(
            text=agenda.text,
            blocks=views.preview_blocks(
                cadence=cadence, occurrence=occurrence, agenda=agenda, default=default
            ),
        )

    async def unknown(asked: Asked) -> None:
        verb, _ = first_word(asked.text)
        hint = " Start with `set`." if verb in KINDS else ""
        problem = f"`/cadence {verb}` means nothing to Tandem.{hint}"
        await asked.ack(text=usage_reply(problem, views.USAGE))

    command(
        app,
        "/cadence",
        usage=views.USAGE,
        form=form,
        verbs={
            "set": set_meeting,
            "off": turn_meeting_off,
            "list": list_set,
            "next": list_next,
            "preview": preview,
        },
        otherwise=unknown,
    )

    @app.view(FORM)
    async def cadence_form_submitted(
        ack: AsyncAck,
        view: dict[str, Any],
        body: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        logger: Logger,
    ) -> None:
        channel_id = view.get("private_metadata", "")
        asker = Asker(team_of(context), body["user"]["id"], channel_id, client, logger)
        reply = FormReply(ack, title=views.TITLE, sorry_field="kind")
        person = await person_of(client, services, asker.user_id)
        if refused := refusal(person, words.REFUSAL):
            await reply.refuse(CadenceError(refused, field="kind"))
            return
        await save_and_confirm(
            reply,
            logger,
            failure="could not store a cadence from the form",
            check=lambda: build_request(**views.read_form(view)),
            save=lambda request: apply_set(
                db=db, asker=asker, request=request, person=person, now=services.now()
            ),
        )


def _asker(asked: Asked) -> Asker:
    return Asker(asked.team_id, asked.user_id, asked.channel_id, asked.client, asked.logger)
