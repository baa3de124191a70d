"""Sharing collateral: store the item, announce it in its channel, remember the announcement."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from datetime import datetime
from logging import Logger

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.slack import never_sent
from handlers.collateral import views
from handlers.common import Actor, in_time
from storage.collateral import (
    VOTES,
    Announced,
    NewCollateral,
    discard_collateral,
    record_announcement,
    save_collateral,
)
from storage.db import Database


@dataclass(frozen=True)
class Outcome:
    """What became of a share: announced (`item`), refused (`problem`), or neither: a repeat."""

    item: Announced | None = None
    problem: str | None = None

    def receipt(self) -> str:
        """What the person sharing is told."""
        if self.item is not None:
            return views.confirmation(self.item)
        return self.problem or views.REPEATED


async def share(
    *,
    db: Database,
    actor: Actor,
    channel_id: str,
    item: NewCollateral,
    now: datetime,
    vote_actions: Mapping[str, str],
    receipt: str | None = None,
) -> Outcome:
    """Store, announce, remember the announcement; an item that cannot be announced goes.

    `vote_actions` are the action ids of the announcement's vote buttons.
    """
    try:
        collateral_id = await db.write(
            save_collateral,
            team_id=actor.team_id,
            user_id=actor.user_id,
            item=item,
            channel_id=channel_id,
            now=now,
            receipt=receipt,
        )
    except IntegrityError:
        # Another process stored the same receipt first.
        return Outcome()
    if collateral_id is None:
        return Outcome()
    shown = Announced(
        id=collateral_id,
        title=item.title,
        url=item.url,
        tags=item.tags,
        author_id=actor.user_id,
        channel_id=channel_id,
        message_ts=None,
        counts=dict.fromkeys(VOTES, 0),
    )
    late = asyncio.Event()
    announcing = _announce(
        db=db,
        client=actor.client,
        logger=actor.logger,
        shown=shown,
        team_id=actor.team_id,
        channel_id=channel_id,
        vote_actions=vote_actions,
        receipt=receipt,
    )
    outcome = await in_time(_told_if_late(announcing, actor, channel_id, late))
    if outcome is None:
        late.set()  # no await since the wait ran out: the announcement has not ended meanwhile
        return Outcome(problem=views.announcing_later(channel_id))
    return outcome


async def _told_if_late(
    announcing: Awaitable[Outcome], actor: Actor, channel_id: str, late: asyncio.Event
) -> Outcome:
    """The announcement's outcome; one that failed after the sharer was answered is told to
    them in the channel, since their answer said it was still being tried."""
    outcome = await announcing
    if late.is_set() and outcome.item is None and outcome.problem:
        try:
            await actor.client.chat_postEphemeral(
                channel=channel_id, user=actor.user_id, text=outcome.problem
            )
        except Exception:
            actor.logger.exception("could not tell %s their share failed", actor.user_id)
    return outcome


async def _announce(
    *,
    db: Database,
    client: AsyncWebClient,
    logger: Logger,
    shown: Announced,
    team_id: str,
    channel_id: str,
    vote_actions: Mapping[str, str],
    receipt: str | None,
) -> Outcome:
    """Post the announcement and remember it; an item Slack will not show is taken back."""
    try:
        posted = await client.chat_postMessage(
            channel=channel_id,
            text=views.announcement_text(shown),
            blocks=views.announcement(shown, vote_actions=vote_actions),
        )
    except Exception as error:
        if _may_be_posted(error):
            # Sent, and no clear answer: Slack may have posted it. Keep the item, so that an
            # announcement that is there works (votes fall back to the clicked message).
            logger.warning("announcing collateral %s: no answer from Slack: %s", shown.id, error)
            return Outcome(problem=views.unconfirmed(channel_id))
        code = _refusal(error)
        if code is None:
            logger.exception("could not announce collateral")
        try:
            await db.write(
                discard_collateral, team_id=team_id, collateral_id=shown.id, receipt=receipt
            )
        except SQLAlchemyError:
            logger.exception("could not take back collateral that was not announced")
        return Outcome(problem=views.not_announced(code, channel_id))
    try:
        await db.write(
            record_announcement,
            team_id=team_id,
            collateral_id=shown.id,
            channel_id=posted["channel"],
            message_ts=posted["ts"],
        )
    except SQLAlchemyError:
        # Votes still work: they fall back to the clicked message's own channel and ts.
        logger.exception("could not remember where collateral was announced")
    return Outcome(item=shown)


def _may_be_posted(error: Exception) -> bool:
    """Whether Slack may have posted despite the failure: a 5xx, or a connection that was
    made and then gave no answer. A 4xx or Slack's error code proves it did not."""
    if isinstance(error, SlackApiError):
        return bool(error.response.status_code >= 500)
    return not never_sent(error)


def _refusal(error: Exception) -> str | None:
    """Slack's reason for refusing the post, if it gave one."""
    if not isinstance(error, SlackApiError):
        return None
    if error.response.status_code == 429:
        return "ratelimited"
    code = error.response.get("error")
    return str(code) if code else None
