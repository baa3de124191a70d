"""`/cadence`: where and when the field-intel and planning meetings are held."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import time, timedelta
from logging import Logger
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from bot.services import Services
from handlers import cadence_views as views
from handlers.common import SORRY_STORAGE, team_of, usage_reply
from handlers.text import TextError, escape, first_word, parse_command
from scheduler.agenda import build_agenda
from scheduler.rules import (
    MONTHLY,
    QUARTERLY,
    DayRule,
    RuleError,
    Schedule,
    occurrences,
    parse_day_rule,
    parse_lead_time,
    parse_months,
    parse_time,
    parse_zone,
)
from scheduler.schedules import schedule_of
from storage.cadences import active_cadences, find_cadence, set_cadence, turn_off
from storage.models import Cadence, utcnow

T = TypeVar("T")
KINDS = ("monthly", "quarterly")
DEFAULT_LEAD = timedelta(days=1)
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
REFUSAL = (
    "Only workspace admins and owners, and the team leads named in Tandem's settings "
    "(TANDEM_LEADS), can set or turn off meetings, so nothing was changed. Anyone can use "
    "`/cadence list`, `/cadence next` and `/cadence preview monthly|quarterly`."
)
UNCHECKED = (
    "Tandem could not check your role with Slack just now, so nothing was changed. "
    "Please try again in a minute."
)
NO_ZONE = "Tandem could not find your time zone in Slack: give one, such as America/New_York."
IN_A_DM = "Set the meeting from the channel it should be held in, not from a direct message."
SORRY_READ = "Sorry, Tandem could not reach its database just now. Please try again in a minute."
_ADMIN_FLAGS = ("is_admin", "is_owner", "is_primary_owner")


class CadenceError(ValueError):
    """A cadence that cannot be set; `field` names the part that is wrong."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class CadenceRequest:
    """A parsed `/cadence set`."""

    kind: str
    rule: DayRule
    at: time
    zone: str | None  # None: the setter's Slack time zone
    agenda_lead: timedelta
    months: tuple[int, ...]

    def schedule(self, zone: str) -> Schedule:
        return Schedule(rule=self.rule, at=self.at, zone=zone, months=self.months)


def parse_kind(text: str) -> str:
    """`monthly` or `quarterly`, in any letter case."""
    kind = text.strip().lower()
    if kind not in KINDS:
        shown = f", not “{text.strip()}”" if text.strip() else ""
        raise CadenceError(
            "Which meeting? Say `monthly` (the field-intel meeting) or `quarterly` "
            f"(the planning meeting){shown}.",
            field="kind",
        )
    return kind


def _checked(field: str, parse: Callable[[str], T], text: str, missing: str) -> T:
    if not text.strip():
        raise CadenceError(missing, field=field)
    try:
        return parse(text)
    except RuleError as error:
        raise CadenceError(str(error), field=field) from None


def _quarterly_months(text: str) -> tuple[int, ...]:
    months = parse_months(text)
    if months[0] > 3 or months != tuple(range(months[0], 13, 3)):
        raise RuleError(
            f"Months “{text}” aren't quarterly: name one month in each quarter, three apart, "
            "such as months:2,5,8,11."
        )
    return months


def _lead(text: str) -> timedelta:
    lead = parse_lead_time(text)
    if not lead:
        raise RuleError("The agenda has to come before the meeting: use agenda:1d, 6h or 90m.")
    return lead


def build_request(
    *, kind: str, rule: str, at: str, zone: str | None, agenda: str | None, months: str | None
) -> CadenceRequest:
    """Check a cadence however it was entered, command or form."""
    kind = parse_kind(kind)
    day_rule = _checked("rule", parse_day_rule, rule, "Give the day rule, such as `first-tue`.")
    at_time = _checked("time", parse_time, at, "Give the meeting time, such as `10:00`.")
    zone_name = _checked("zone", parse_zone, zone, "").key if zone and zone.strip() else None
    lead = _checked("agenda", _lead, agenda, "") if agenda and agenda.strip() else DEFAULT_LEAD
    chosen = MONTHLY if kind == "monthly" else QUARTERLY
    if months and months.strip():
        if kind == "monthly":
            raise CadenceError(
                "The monthly meeting is held every month, so it takes no `months:`; "
                "`months:` moves the quarterly meeting.",
                field="months",
            )
        chosen = _checked("months", _quarterly_months, months, "")
    return CadenceRequest(
        kind=kind, rule=day_rule, at=at_time, zone=zone_name, agenda_lead=lead, months=chosen
    )


def parse_set(text: str) -> CadenceRequest:
    """The words after `set`: `monthly|quarterly DAY-RULE HH:MM [ZONE] [agenda:…] [months:…]`."""
    try:
        command = parse_command(text, positional=4, options=("agenda", "months"))
    except TextError as error:
        raise CadenceError(str(error), field="kind") from None
    if command.rest:
        raise CadenceError(f"I don't understand “{command.rest}”.", field="kind")
    kind, rule, at, zone = command.positional + ("",) * (4 - len(command.positional))
    return build_request(
        kind=kind,
        rule=rule,
        at=at,
        zone=zone,
        agenda=command.options.get("agenda"),
        months=command.options.get("months"),
    )


@dataclass(frozen=True)
class Person:
    """What Slack and the settings say about whoever is asking."""

    allowed: bool  # may set and turn off meetings
    known: bool  # Slack answered users.info
    zone: str | None  # their Slack time zone, if it is one Tandem knows


async def person_of(client: AsyncWebClient, services: Services, user_id: str) -> Person:
    try:
        user: dict[str, Any] = (await client.users_info(user=user_id)).get("user") or {}
    except SlackApiError:
        return Person(allowed=services.is_lead(user_id), known=False, zone=None)
    try:
        zone = parse_zone(str(user["tz"])).key if user.get("tz") else None
    except RuleError:
        zone = None
    admin = any(user.get(flag) for flag in _ADMIN_FLAGS)
    return Person(allowed=services.is_lead(user_id) or admin, known=True, zone=zone)


def refusal(person: Person) -> str | None:
    """Why this person may not change a cadence, or None if they may."""
    if person.allowed:
        return None
    return REFUSAL if person.known else UNCHECKED


def _switch_off(*, session: Session, team_id: str, kind: str) -> str | None:
    """Turn the meeting off; its channel if it was on, found in the same transaction."""
    cadence = find_cadence(session=session, team_id=team_id, kind=kind)
    if cadence is None or not turn_off(session=session, team_id=team_id, kind=kind):
        return None
    return cadence.channel_id


@dataclass(frozen=True)
class Asker:
    """Who is asking, from where, and how to answer them."""

    team_id: str
    user_id: str
    channel_id: str
    client: AsyncWebClient
    logger: Logger


def _default_cadence(asker: Asker, *, kind: str, zone: str) -> Cadence:
    """An unsaved cadence to preview an agenda with when none is set."""
    months = MONTHLY if kind == "monthly" else QUARTERLY
    return Cadence(
        team_id=asker.team_id,
        kind=kind,
        channel_id=asker.channel_id,
        day_rule="first-tue",
        at_time="10:00",
        zone=zone,
        agenda_lead_minutes=DEFAULT_LEAD // timedelta(minutes=1),
        months=",".join(map(str, months)),
        set_by="",
    )


def register(app: AsyncApp, services: Services) -> None:
    db = services.db

    async def tell_channel(asker: Asker, channel: str, note: str) -> str:
        """Post the one-line note; a warning for the actor if Slack refused it."""
        try:
            await asker.client.chat_postMessage(channel=channel, text=note)
        except SlackApiError as error:
            asker.logger.warning("could not post a cadence note in %s: %s", channel, error)
            return views.cannot_post(channel, str(error.response.get("error")))
        return ""

    async def apply_set(asker: Asker, request: CadenceRequest, person: Person) -> str:
        """Store the cadence, tell its channel, and return the setter's receipt."""
        channel = asker.channel_id
        if not channel or channel.startswith("D"):
            raise CadenceError(IN_A_DM, field="kind")
        zone = request.zone or person.zone
        if zone is None:
            raise CadenceError(NO_ZONE, field="zone")
        schedule, lead, now = request.schedule(zone), request.agenda_lead, utcnow()
        await db.write(
            set_cadence,
            team_id=asker.team_id,
            kind=request.kind,
            channel_id=channel,
            schedule=schedule,
            agenda_lead=lead,
            set_by=asker.user_id,
            now=now,
        )
        note = views.channel_note(
            user_id=asker.user_id, kind=request.kind, schedule=schedule, lead=lead
        )
        starts = occurrences(schedule, after=now, count=3)
        receipt = views.confirmation(
            kind=request.kind,
            channel_id=channel,
            schedule=schedule,
            lead=lead,
            starts=starts,
            now=now,
        )
        return receipt + await tell_channel(asker, channel, note)

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
            await ack(
                text=usage_reply(f"`/cadence {escape(verb)}` means nothing to Tandem.{hint}", USAGE)
            )
        else:
            await change(ack, asker, verb=verb, text=rest, trigger_id=command["trigger_id"])

    async def change(ack: AsyncAck, asker: Asker, *, verb: str, text: str, trigger_id: str) -> None:
        """`set`, `off`, or the form: only for leads, workspace admins and owners."""
        person = await person_of(asker.client, services, asker.user_id)
        if refused := refusal(person):
            await ack(text=refused)
        elif verb == "set":
            await set_command(ack, asker, text, person)
        elif verb == "off":
            await switch_off(ack, asker, text)
        elif not asker.channel_id or asker.channel_id.startswith("D"):
            await ack(text=IN_A_DM)
        else:
            await ack()
            form = views.cadence_form(channel_id=asker.channel_id)
            await asker.client.views_open(trigger_id=trigger_id, view=form)

    async def set_command(ack: AsyncAck, asker: Asker, text: str, person: Person) -> None:
        try:
            receipt = await apply_set(asker, parse_set(text), person)
        except CadenceError as error:
            await ack(text=usage_reply(escape(str(error)), USAGE))
        except SQLAlchemyError:
            asker.logger.exception("could not store a cadence")
            await ack(text=SORRY_STORAGE)
        else:
            await ack(text=receipt)

    async def switch_off(ack: AsyncAck, asker: Asker, text: str) -> None:
        try:
            kind = parse_kind(text)
            channel = await db.write(_switch_off, team_id=asker.team_id, kind=kind)
        except CadenceError as error:
            await ack(text=usage_reply(escape(str(error)), USAGE))
            return
        except SQLAlchemyError:
            asker.logger.exception("could not turn a cadence off")
            await ack(text=SORRY_STORAGE)
            return
        if channel is None:
            await ack(text=views.nothing_to_stop(kind))
            return
        warning = await tell_channel(
            asker, channel, views.off_note(user_id=asker.user_id, kind=kind)
        )
        await ack(text=views.stopped(kind=kind, channel_id=channel) + warning)

    async def show(ack: AsyncAck, asker: Asker, *, upcoming: bool) -> None:
        try:
            cadences = await db.read(active_cadences, team_id=asker.team_id)
        except SQLAlchemyError:
            asker.logger.exception("could not read the cadences")
            await ack(text=SORRY_READ)
            return
        await ack(**views.cadences_message(cadences, upcoming=upcoming, now=utcnow()))

    async def preview(ack: AsyncAck, asker: Asker, text: str) -> None:
        try:
            kind = parse_kind(text)
            cadence = await db.read(find_cadence, team_id=asker.team_id, kind=kind)
            default = cadence is None or not cadence.active
            if cadence is None or not cadence.active:
                zone = (await person_of(asker.client, services, asker.user_id)).zone or "UTC"
                cadence = _default_cadence(asker, kind=kind, zone=zone)
            now = utcnow()
            (occurrence,) = occurrences(schedule_of(cadence), after=now, count=1)
            agenda = await db.read(build_agenda, cadence=cadence, occurrence=occurrence, now=now)
        except CadenceError as error:
            await ack(text=usage_reply(escape(str(error)), USAGE))
            return
        except SQLAlchemyError:
            asker.logger.exception("could not build an agenda preview")
            await ack(text=SORRY_READ)
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
        person = await person_of(client, services, asker.user_id)
        if refused := refusal(person):
            await ack(response_action="errors", errors={"kind": refused})
            return
        try:
            receipt = await apply_set(asker, build_request(**views.read_form(view)), person)
        except CadenceError as error:
            await ack(response_action="errors", errors={error.field: str(error)})
        except SQLAlchemyError:
            logger.exception("could not store a cadence from the form")
            await ack(response_action="errors", errors={"kind": SORRY_STORAGE})
        else:
            await ack(response_action="update", view=views.done(receipt))
