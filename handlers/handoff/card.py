"""The lead card's buttons and the reject form: sales takes a lead, or turns it down."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from logging import Logger

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.services import Services
from core import cards
from handlers.clicks import Clicked, on_click
from handlers.common import in_time
from handlers.forms import Submitted, View, on_submission, open_form
from handlers.handoff import views
from handlers.handoff.parse import HandoffError, build_rejection
from handlers.lead import FORM as LEAD_FORM
from handlers.lead import views as lead_views
from storage.handoffs import Decision, accept, get_handoff, reject
from storage.models import Handoff

REJECT_FORM = "handoff_reject_form"


def register_card(app: AsyncApp, services: Services) -> None:
    db = services.db

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
