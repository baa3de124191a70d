"""`/cadence`: where and when the field-intel and planning meetings are held."""

from __future__ import annotations

from dataclasses import dataclass
from logging import Logger
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.services import Services
from core.meetings import cadence_fields, occurrences, schedule_of
from core.text import first_word
from handlers import cadence_views as views
from handlers import cadence_words as words
from handlers.cadence_input import (
    KINDS,
    CadenceError,
    CadenceRequest,
    build_request,
    default_cadence,
    parse_kind,
    parse_set,
)
from handlers.cadence_roles import Person, person_of, refusal
from handlers.common import CommandReply, in_time, save_and_confirm, team_of, usage_reply
from handlers.forms import FormReply, open_form
from scheduler.agenda import build_agenda
from storage.cadences import active_cadences, find_cadence, set_cadence, turn_off

SET_FORM = (
    "`/cadence set monthly|quarterly DAY-RULE HH:MM [TIME-ZONE] [agenda:2d|6h] [months:2,5,8,11]`"
)
USAGE = (
    f"*Set a meeting* (team leads, workspace admins and owners), in its channel: {SET_FORM}\n"
    "For example `/cadence set monthly first-tue 10:00 America/New_York agenda:2d`. "
    "Day rules: `first-`, `second-`, `third-`, `fourth-` or `last-` with `mon` … `sun`, "
    "or `day-15`. The time zone defaults to yours in Slack; the agenda comes a day before "
    "unless `agenda:` says otherwise; the quarterly meeting is in January, April, July and "
    "October unless `months:` names four others three apart.\n"
    "*Stop:* `/cadence off monthly|quarterly` · *See:* `/cadence list`, `/cadence next`, "
    "`/cadence preview monthly|quarterly` · *Form:* `/cadence` on its own"
)
NO_ZONE = "Tandem could not find your time zone in Slack: give one, such as America/New_York."
IN_A_DM = "Set the meeting from the channel it should be held in, not from a direct message."


@dataclass(frozen=True)
class Asker:
    """Who is asking, from where, and how to answer them."""

    team_id: str
    user_id: str
    channel_id: str
    client: AsyncWebClient
    logger: Logger


def register(app: AsyncApp, services: Services) -> None:
    db = services.db

    async def tell_channel(asker: Asker, channel: str, note: str) -> str:
        """Post the one-line note; a warning for the actor if Slack refused it."""
        try:
            # A slow post (Slack rate-limiting the channel) finishes after the answer.
            await in_time(asker.client.chat_postMessage(channel=channel, text=note))
        except SlackApiError as error:
            asker.logger.warning("could not post a cadence note in %s: %s", channel, error)
            return words.cannot_post(channel, str(error.response.get("error")))
        return ""

    async def apply_set(asker: Asker, request: CadenceRequest, person: Person) -> str:
        """Store the cadence, tell its channel, and return the setter's receipt."""
        channel = asker.channel_id
        if not channel or channel.startswith("D"):
            raise CadenceError(IN_A_DM, field="kind")
        zone = request.zone or person.zone
        if zone is None:
            raise CadenceError(NO_ZONE, field="zone")
        schedule, lead, now = request.schedule(zone), request.agenda_lead, services.now()
        await db.write(
            set_cadence,
            team_id=asker.team_id,
            kind=request.kind,
            channel_id=channel,
            schedule=cadence_fields(schedule, lead),
            set_by=asker.user_id,
            now=now,
        )
        note = words.channel_note(
            user_id=asker.user_id, kind=request.kind, schedule=schedule, lead=lead
        )
        starts = occurrences(schedule, after=now, count=3)
        receipt = words.confirmation(
            kind=request.kind,
            channel_id=channel,
            schedule=schedule,
            lead=lead,
            starts=starts,
            now=now,
        )
        return receipt + await tell_channel(asker, channel, note)

    async def stop(asker: Asker, kind: str) -> str:
        """Turn the meeting off, tell its channel, and return the actor's receipt."""
        channel = await db.write(turn_off, team_id=asker.team_id, kind=kind)
        if channel is None:
            return words.nothing_to_stop(kind)
        note = words.off_note(user_id=asker.user_id, kind=kind)
        warning = await tell_channel(asker, channel, note)
        return words.stopped(kind=kind, channel_id=channel) + warning

    @app.command("/cadence")
    async def cadence_command(
        ack: AsyncAck,
        command: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        logger: Logger,
    ) -> None:
        text = command.get("text", "").strip()
        verb, rest = first_word(text)
        channel_id = command.get("channel_id", "")
        asker = Asker(team_of(context), command["user_id"], channel_id, client, logger)
        if verb == "help":
            await ack(text=USAGE)
        elif verb in ("list", "next"):
            await show(ack, asker, upcoming=verb == "next")
        elif verb == "preview":
            await preview(ack, asker, rest)
        elif text and verb not in ("set", "off"):
            hint = " Start with `set`." if verb in KINDS else ""
            await ack(text=usage_reply(f"`/cadence {verb}` means nothing to Tandem.{hint}", USAGE))
        else:
            await change(ack, asker, verb=verb, text=rest, trigger_id=command["trigger_id"])

    async def change(ack: AsyncAck, asker: Asker, *, verb: str, text: str, trigger_id: str) -> None:
        """`set`, `off`, or the form: only for leads, workspace admins and owners."""
        person = await person_of(asker.client, services, asker.user_id)
        reply = CommandReply(ack, usage=USAGE)
        if refused := refusal(person):
            await ack(text=refused)
        elif verb == "set":
            await save_and_confirm(
                reply,
                asker.logger,
                failure="could not store a cadence",
                check=lambda: parse_set(text),
                save=lambda request: apply_set(asker, request, person),
            )
        elif verb == "off":
            await save_and_confirm(
                reply,
                asker.logger,
                failure="could not turn a cadence off",
                check=lambda: parse_kind(text),
                save=lambda kind: stop(asker, kind),
            )
        elif not asker.channel_id or asker.channel_id.startswith("D"):
            await ack(text=IN_A_DM)
        else:
            form = views.cadence_form(channel_id=asker.channel_id)
            await open_form(ack, asker.client, trigger_id=trigger_id, view=form)

    async def show(ack: AsyncAck, asker: Asker, *, upcoming: bool) -> None:
        cadences = await db.read(active_cadences, team_id=asker.team_id)
        await ack(**views.cadences_message(cadences, upcoming=upcoming, now=services.now()))

    async def preview(ack: AsyncAck, asker: Asker, text: str) -> None:
        try:
            kind = parse_kind(text)
            cadence = await db.read(find_cadence, team_id=asker.team_id, kind=kind)
            default = cadence is None or not cadence.active
            if cadence is None or not cadence.active:
                zone = (await person_of(asker.client, services, asker.user_id)).zone or "UTC"
                cadence = default_cadence(
                    team_id=asker.team_id, channel_id=asker.channel_id, kind=kind, zone=zone
                )
            now = services.now()
            (occurrence,) = occurrences(schedule_of(cadence), after=now, count=1)
            agenda = await db.read(build_agenda, cadence=cadence, occurrence=occurrence, now=now)
        except CadenceError as error:
            await ack(text=usage_reply(str(error), USAGE))
            return
        await ack(
            text=agenda.text,
            blocks=views.preview_blocks(
                cadence=cadence, occurrence=occurrence, agenda=agenda, default=default
            ),
        )

    @app.view(views.FORM_ID)
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
        if refused := refusal(person):
            await reply.refuse(CadenceError(refused, field="kind"))
            return
        await save_and_confirm(
            reply,
            logger,
            failure="could not store a cadence from the form",
            check=lambda: build_request(**views.read_form(view)),
            save=lambda request: apply_set(asker, request, person),
        )
