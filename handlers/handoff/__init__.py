"""`/handoff` and the lead card: marketing hands leads to sales, sales takes them within an SLA."""

from __future__ import annotations

import secrets
from datetime import timedelta

from slack_bolt.async_app import AsyncApp

from bot.services import Services
from core.hours import read_hours
from handlers.command import Asked, command, querying, saving
from handlers.common import Actor, in_a_dm, post_note, usage_reply
from handlers.forms import Submitted, View, on_submission
from handlers.handoff import views
from handlers.handoff.card import REJECT_FORM, register_card
from handlers.handoff.hook import CardPoster, lead_hook, token_hash
from handlers.handoff.parse import (
    HandoffError,
    SetupRequest,
    build_setup,
    parse_notify,
    parse_setup,
)
from handlers.lead.parse import StatsQuery, parse_stats
from handlers.roles import Person, channel_form_for_leads, lead_or_refused, person_of, refusal
from storage.handoff_stats import handoff_stats
from storage.handoffs import setup_of, update_setup

__all__ = ["REJECT_FORM", "CardPoster", "lead_hook", "register"]

SETUP_FORM = "handoff_setup_form"


def register(app: AsyncApp, services: Services) -> None:
    db = services.db

    async def allowed(asked: Asked) -> Person | None:
        return await lead_or_refused(asked, services, views.REFUSAL)

    async def tell_channel(asked: Actor, channel: str, note: str) -> str:
        """Post the note; a warning for the actor if Slack refused it."""
        refused = await post_note(asked.client, asked.logger, channel, note)
        return views.cannot_post(channel, refused) if refused else ""

    async def apply_setup(asked: Actor, request: SetupRequest, person: Person) -> str:
        channel = asked.channel_id
        if in_a_dm(channel):
            raise HandoffError(views.IN_A_DM, field="sla")
        zone = request.zone or person.zone
        if request.days is not None and zone is None:
            raise HandoffError(views.NO_ZONE, field="hours")
        hours = request.hours(zone or "UTC")
        await db.write(
            update_setup,
            team_id=asked.team_id,
            now=services.now(),
            channel_id=channel,
            sla_minutes=request.sla // timedelta(minutes=1),
            hours=str(hours) if hours else None,
            set_by=asked.user_id,
        )
        note = views.channel_note(user_id=asked.user_id, sla=request.sla)
        warning = await tell_channel(asked, channel, note)
        return views.set_up(channel_id=channel, sla=request.sla, hours=hours) + warning

    async def set_verb(asked: Asked) -> None:
        if (person := await allowed(asked)) is None:
            return
        store = saving(views.SETUP_SAVING, parse_setup, lambda a, r: apply_setup(a, r, person))
        await store(asked)

    def form_view(asked: Asked) -> View:
        return views.setup_form(callback_id=SETUP_FORM, channel_id=asked.channel_id)

    form = channel_form_for_leads(services, views.REFUSAL, views.IN_A_DM, form_view)

    async def off(asked: Asked) -> None:
        if await allowed(asked) is None:
            return
        setup = await db.read(setup_of, team_id=asked.team_id)
        if setup is None or setup.channel_id is None:
            await asked.ack(text=views.NOT_SET)
            return
        await db.write(update_setup, team_id=asked.team_id, now=services.now(), channel_id=None)
        note = views.off_note(user_id=asked.user_id)
        warning = await tell_channel(asked, setup.channel_id, note)
        await asked.ack(text=views.STOPPED + warning)

    async def status(asked: Asked) -> None:
        setup = await db.read(setup_of, team_id=asked.team_id)
        await asked.ack(text=views.status(setup, read_hours(setup.hours if setup else None)))

    async def token(asked: Asked) -> None:
        if await allowed(asked) is None:
            return
        secret = "tdm_" + secrets.token_urlsafe(32)
        await db.write(
            update_setup, team_id=asked.team_id, now=services.now(), token_hash=token_hash(secret)
        )
        await asked.ack(text=views.token_shown(secret, "`POST /hooks/leads` on Tandem's address"))

    async def notify(asked: Asked) -> None:
        if await allowed(asked) is None:
            return
        try:
            url = parse_notify(asked.text)
        except HandoffError as error:
            await asked.ack(text=usage_reply(str(error), views.USAGE))
            return
        secret = secrets.token_hex(32) if url else None
        await db.write(
            update_setup,
            team_id=asked.team_id,
            now=services.now(),
            notify_url=url,
            notify_secret=secret,
        )
        await asked.ack(text=views.notify_on(url, secret) if url and secret else views.NOTIFY_OFF)

    async def answer_stats(asked: Asked, query: StatsQuery) -> None:
        now = services.now()
        found = await db.read(
            handoff_stats,
            team_id=asked.team_id,
            since=now - timedelta(days=query.days),
            until=now + timedelta(seconds=1),
            campaign=query.campaign,
        )
        await asked.ack(
            text=f"Lead handoffs: {found.overall.handed}",
            blocks=views.stats_blocks(found, days=query.days, campaign=query.campaign),
        )

    stats = querying(parse_stats, views.STATS_USAGE, answer_stats)

    verbs = {
        "set": set_verb,
        "off": off,
        "status": status,
        "token": token,
        "notify": notify,
        "stats": stats,
    }
    command(app, "/handoff", views.USAGE, form, verbs)

    async def setup_by_form(form: Submitted, request: SetupRequest) -> str:
        person = await person_of(form.client, services, form.user_id)
        if refused := refusal(person, views.REFUSAL):
            raise HandoffError(refused, field="sla")
        return await apply_setup(form, request, person)

    on_submission(
        app,
        SETUP_FORM,
        views.SETUP_SAVING,
        lambda view: build_setup(**views.read_setup(view)),
        setup_by_form,
    )
    register_card(app, services)
