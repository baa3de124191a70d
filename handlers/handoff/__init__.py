"""`/handoff` and the lead card: marketing hands leads to sales, sales takes them within an SLA."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta
from logging import Logger

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.services import Services
from core import cards
from core.hours import read_hours
from handlers.clicks import Clicked, on_click
from handlers.command import Asked, command, querying, saving
from handlers.common import Actor, in_a_dm, in_time, post_note, usage_reply
from handlers.forms import Submitted, View, on_submission, open_form
from handlers.handoff import views
from handlers.handoff.hook import CardPoster, lead_hook, token_hash
from handlers.handoff.parse import (
    HandoffError,
    SetupRequest,
    build_rejection,
    build_setup,
    parse_notify,
    parse_setup,
)
from handlers.lead import FORM as LEAD_FORM
from handlers.lead import views as lead_views
from handlers.lead.parse import StatsQuery, parse_stats
from handlers.roles import Person, channel_form_for_leads, lead_or_refused, person_of, refusal
from storage.handoff_stats import handoff_stats
from storage.handoffs import Decision, accept, get_handoff, reject, setup_of, update_setup
from storage.models import Handoff

__all__ = ["CardPoster", "lead_hook", "register"]

SETUP_FORM = "handoff_setup_form"
REJECT_FORM = "handoff_reject_form"


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

    async def show(client: AsyncWebClient, handoff: Handoff, logger: Logger) -> None:
        """Redraw the card in place."""
        if handoff.message_ts is None:
            return
        card = cards.lead_card(handoff)
        try:
            await in_time(
                client.chat_update(
                    channel=handoff.channel_id,
                    ts=handoff.message_ts,
                    text=card.text,
                    blocks=card.blocks,
                )
            )
        except SlackApiError:
            logger.exception("could not update the card of handoff %s", handoff.id)

    async def accepted(click: Clicked) -> None:
        await click.ack()
        handoff_id = handoff_of(click)
        decision: Decision | None = None
        if handoff_id is not None:
            decision = await db.write(
                accept,
                team_id=click.team_id,
                handoff_id=handoff_id,
                user_id=click.user_id,
                now=services.now(),
            )
        if decision is None:
            await click.tell(views.GONE)
        elif decision.won:
            await show(click.client, decision.handoff, click.logger)
        else:
            await click.tell(views.already(decision.handoff))

    def opens(form: Callable[[Handoff], View | str]) -> Callable[[Clicked], Awaitable[None]]:
        """A button that opens the form `form` makes for its lead (or tells why not)."""

        async def opened(click: Clicked) -> None:
            handoff_id = handoff_of(click)
            handoff = None
            if handoff_id is not None:
                handoff = await db.read(get_handoff, team_id=click.team_id, handoff_id=handoff_id)
            answer = form(handoff) if handoff is not None else views.GONE
            if isinstance(answer, str):
                await click.ack()
                await click.tell(answer)
            else:
                await open_form(click.ack, click.client, trigger_id=click.trigger_id, view=answer)

        return opened

    def reject_form(handoff: Handoff) -> View | str:
        if handoff.status != "open":
            return views.already(handoff)
        return views.reject_form(callback_id=REJECT_FORM, handoff=handoff)

    def rate_form(handoff: Handoff) -> View:
        return lead_views.rating_form(
            callback_id=LEAD_FORM,
            channel_id=handoff.channel_id,
            lead=handoff.lead_ref,
            campaign=handoff.campaign or "",
        )

    async def crm(click: Clicked) -> None:
        await click.ack()  # a link button: Slack opens the URL itself

    on_click(app, cards.ACCEPT, accepted)
    on_click(app, cards.REJECT, opens(reject_form))
    on_click(app, cards.RATE, opens(rate_form))
    on_click(app, cards.CRM, crm)

    async def rejected(form: Submitted, rejection: tuple[str, tuple[str, ...]]) -> str:
        reason, unmet = rejection
        decision = None
        if form.channel_id.isdigit():  # the form keeps the handoff's id in its metadata
            decision = await db.write(
                reject,
                team_id=form.team_id,
                handoff_id=int(form.channel_id),
                user_id=form.user_id,
                reason=reason,
                unmet=unmet,
                now=services.now(),
            )
        if decision is None:
            raise HandoffError(views.GONE, field="reason")
        if not decision.won:
            raise HandoffError(views.already(decision.handoff), field="reason")
        await show(form.client, decision.handoff, form.logger)
        return views.rejected(decision.handoff)

    on_submission(
        app,
        REJECT_FORM,
        views.REJECT_SAVING,
        lambda view: build_rejection(**views.read_rejection(view)),
        rejected,
    )


def handoff_of(click: Clicked) -> int | None:
    """The handoff a card's button is about (its value), if the value is one."""
    return int(click.value) if click.value.isdigit() and len(click.value) < 19 else None
