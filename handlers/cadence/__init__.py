"""`/cadence`: where and when the field-intel and planning meetings are held."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.services import Services
from core.meetings import occurrences, schedule_of
from core.text import first_word
from handlers.cadence import views, words
from handlers.cadence.change import apply_set, stop
from handlers.cadence.parse import (
    KINDS,
    CadenceError,
    CadenceRequest,
    build_request,
    default_cadence,
    parse_kind,
    parse_set,
)
from handlers.command import Asked, command, saving
from handlers.common import Actor, usage_reply
from handlers.forms import Submitted, View, on_submission
from handlers.roles import Person, channel_form_for_leads, lead_or_refused, person_of, refusal
from scheduler.agenda import build_agenda
from storage.cadences import active_cadences, find_cadence

FORM = "cadence_form"


def register(app: AsyncApp, services: Services) -> None:
    db = services.db

    async def allowed(asked: Asked) -> Person | None:
        return await lead_or_refused(asked, services, words.REFUSAL)

    def form_view(asked: Asked) -> View:
        return views.cadence_form(callback_id=FORM, channel_id=asked.channel_id)

    form = channel_form_for_leads(services, words.REFUSAL, words.IN_A_DM, form_view)

    async def set_meeting(asked: Asked) -> None:
        if (person := await allowed(asked)) is None:
            return

        async def store(actor: Actor, request: CadenceRequest) -> str:
            now = services.now()
            return await apply_set(db=db, asker=actor, request=request, person=person, now=now)

        await saving(views.SAVING, parse_set, store)(asked)

    async def turn_meeting_off(asked: Asked) -> None:
        if await allowed(asked) is None:
            return
        await saving(
            views.SAVING, parse_kind, lambda actor, kind: stop(db=db, asker=actor, kind=kind)
        )(asked)

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

    verbs = {
        "set": set_meeting,
        "off": turn_meeting_off,
        "list": list_set,
        "next": list_next,
        "preview": preview,
    }
    command(app, "/cadence", views.USAGE, form, verbs, unknown)

    async def set_by_form(form: Submitted, request: CadenceRequest) -> str:
        person = await person_of(form.client, services, form.user_id)
        if refused := refusal(person, words.REFUSAL):
            raise CadenceError(refused, field="kind")
        return await apply_set(
            db=db, asker=form, request=request, person=person, now=services.now()
        )

    on_submission(
        app, FORM, views.SAVING, lambda view: build_request(**views.read_form(view)), set_by_form
    )
