"""`/handoff` and the lead card: marketing hands leads to sales, sales takes them within an SLA."""

from __future__ import annotations

import secrets
from datetime import timedelta
from logging import Logger
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.services import Services
from core import cards
from core.hours import read_hours
from core.text import TextError
from handlers.command import Asked, command
from handlers.common import (
    CommandReply,
    in_a_dm,
    in_time,
    post_note,
    save_and_confirm,
    team_of,
    usage_reply,
)
from handlers.forms import FormReply, open_form
from handlers.handoff import views
from handlers.handoff.hook import lead_hook, token_hash
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
from handlers.lead.parse import parse_stats
from handlers.roles import Person, lead_or_refused, person_of, refusal
from storage.handoff_stats import handoff_stats
from storage.handoffs import Decision, accept, get_handoff, reject, setup_of, update_setup
from storage.models import Handoff

__all__ = ["lead_hook", "register"]

SETUP_FORM = "handoff_setup_form"
REJECT_FORM = "handoff_reject_form"


def register(app: AsyncApp, services: Services) -> None:
    db = services.db

    async def allowed(asked: Asked) -> Person | None:
        return await lead_or_refused(asked, services, views.REFUSAL)

    async def tell_channel(asked: Asked, channel: str, note: str) -> str:
        """Post the note; a warning for the actor if Slack refused it."""
        refused = await post_note(asked.client, asked.logger, channel, note)
        return views.cannot_post(channel, refused) if refused else ""

    async def apply_setup(asked: Asked, request: SetupRequest, person: Person) -> str:
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
        await save_and_confirm(
            CommandReply(asked.ack, usage=views.USAGE),
            asked.logger,
            failure="could not store the handoff setup",
            check=lambda: parse_setup(asked.text),
            save=lambda request: apply_setup(asked, request, person),
        )

    async def form(asked: Asked) -> None:
        if await allowed(asked) is None:
            return
        if in_a_dm(asked.channel_id):
            await asked.ack(text=views.IN_A_DM)
            return
        view = views.setup_form(callback_id=SETUP_FORM, channel_id=asked.channel_id)
        await open_form(asked.ack, asked.client, trigger_id=asked.trigger_id, view=view)

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

    async def stats(asked: Asked) -> None:
        try:
            query = parse_stats(asked.text)
        except TextError as error:
            await asked.ack(text=usage_reply(str(error), views.STATS_USAGE))
            return
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

    command(
        app,
        "/handoff",
        usage=views.USAGE,
        form=form,
        verbs={
            "set": set_verb,
            "off": off,
            "status": status,
            "token": token,
            "notify": notify,
            "stats": stats,
        },
    )

    @app.view(SETUP_FORM)
    async def setup_submitted(
        ack: AsyncAck,
        view: dict[str, Any],
        body: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        logger: Logger,
    ) -> None:
        asked = Asked.by_form(ack, body, context, client, logger)
        reply = FormReply(ack, title=views.SETUP_TITLE, sorry_field="sla")
        person = await person_of(client, services, asked.user_id)
        if refused := refusal(person, views.REFUSAL):
            await reply.refuse(HandoffError(refused, field="sla"))
            return
        await save_and_confirm(
            reply,
            logger,
            failure="could not store the handoff setup from the form",
            check=lambda: build_setup(**views.read_setup(view)),
            save=lambda request: apply_setup(asked, request, person),
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

    async def tell(client: AsyncWebClient, body: dict[str, Any], text: str, logger: Logger) -> None:
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
            "channel_id", ""
        )
        try:
            await in_time(
                client.chat_postEphemeral(channel=channel, user=body["user"]["id"], text=text)
            )
        except SlackApiError:
            logger.exception("could not answer a click on a lead card")

    def clicked(action: dict[str, Any]) -> int | None:
        value = str(action.get("value", ""))
        return int(value) if value.isdigit() and len(value) < 19 else None

    @app.action(cards.ACCEPT)
    async def accept_clicked(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        logger: Logger,
    ) -> None:
        await ack()
        handoff_id = clicked(action)
        decision: Decision | None = None
        if handoff_id is not None:
            decision = await db.write(
                accept,
                team_id=team_of(context),
                handoff_id=handoff_id,
                user_id=body["user"]["id"],
                now=services.now(),
            )
        if decision is None:
            await tell(client, body, views.GONE, logger)
        elif decision.won:
            await show(client, decision.handoff, logger)
        else:
            await tell(client, body, views.already(decision.handoff), logger)

    @app.action(cards.REJECT)
    async def reject_clicked(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        logger: Logger,
    ) -> None:
        handoff_id = clicked(action)
        handoff = None
        if handoff_id is not None:
            handoff = await db.read(get_handoff, team_id=team_of(context), handoff_id=handoff_id)
        if handoff is None or handoff.status != "open":
            await ack()
            await tell(client, body, views.already(handoff) if handoff else views.GONE, logger)
            return
        view = views.reject_form(callback_id=REJECT_FORM, handoff=handoff)
        await open_form(ack, client, trigger_id=body["trigger_id"], view=view)

    @app.action(cards.RATE)
    async def rate_clicked(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        logger: Logger,
    ) -> None:
        handoff_id = clicked(action)
        handoff = None
        if handoff_id is not None:
            handoff = await db.read(get_handoff, team_id=team_of(context), handoff_id=handoff_id)
        if handoff is None:
            await ack()
            await tell(client, body, views.GONE, logger)
            return
        view = lead_views.rating_form(
            callback_id=LEAD_FORM,
            channel_id=handoff.channel_id,
            lead=handoff.lead_ref,
            campaign=handoff.campaign or "",
        )
        await open_form(ack, client, trigger_id=body["trigger_id"], view=view)

    @app.action(cards.CRM)
    async def crm_clicked(ack: AsyncAck) -> None:
        await ack()  # a link button: Slack opens the URL itself

    @app.view(REJECT_FORM)
    async def reject_submitted(
        ack: AsyncAck,
        view: dict[str, Any],
        body: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        logger: Logger,
    ) -> None:
        metadata = str(view.get("private_metadata") or "")

        async def save(rejection: tuple[str, tuple[str, ...]]) -> str:
            reason, unmet = rejection
            decision = None
            if metadata.isdigit():
                decision = await db.write(
                    reject,
                    team_id=team_of(context),
                    handoff_id=int(metadata),
                    user_id=body["user"]["id"],
                    reason=reason,
                    unmet=unmet,
                    now=services.now(),
                )
            if decision is None:
                raise HandoffError(views.GONE, field="reason")
            if not decision.won:
                raise HandoffError(views.already(decision.handoff), field="reason")
            await show(client, decision.handoff, logger)
            return views.rejected(decision.handoff)

        await save_and_confirm(
            FormReply(ack, title=views.REJECT_TITLE, sorry_field="reason"),
            logger,
            failure="could not store a rejected lead",
            check=lambda: build_rejection(**views.read_rejection(view)),
            save=save,
        )
