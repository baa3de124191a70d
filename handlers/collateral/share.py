"""Sharing collateral: store the item, announce it in its channel, remember the announcement."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from logging import Logger

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

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
    outcome = await in_time(announcing)
    if outcome is None:
        return Outcome(problem=views.announcing_later(channel_id))
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
        code = error.response.get("error") if isinstance(error, SlackApiError) else None
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
