"""Posting a handoff's card and its SLA reminder: claimed first, so each is posted once.

The web process posts a card right after its handoff commits, under the claim made in that
same transaction (handlers.handoff.hook.CardPoster, on its event loop). The clock, through
here, posts the cards whose claim ran out (Slack kept refusing, or the web process died)
and the one reminder of each overdue lead. Both record a card with storage.posts.

One window stays open: Slack takes no idempotency key, so a post Slack accepted in the
instant before its claim was recorded (a crash, or an answer lost on the way: bot.slack no
longer repeats such a post itself) is posted again when the claim runs out. Meeting
reminders look for their earlier post first (scheduler.posting); cards do not yet.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import Engine

from core.cards import lead_card, reminder
from core.hours import WorkingHours, read_hours, worked
from core.workspaces import ClientFor, Workspaces
from storage.db import session_scope
from storage.handoffs import setup_of
from storage.models import Handoff, HandoffPost
from storage.posts import (
    CARD,
    REMINDER,
    Posted,
    claim,
    finish,
    overdue,
    record_posted,
    release,
    unposted_cards,
)

log = logging.getLogger("tandem.handoff")

LEASE = timedelta(minutes=1)  # a claim on a post about to be made; run out, it is retried
RETRY = timedelta(minutes=1)  # how soon the clock tries again what Slack refused
Clock = Callable[[], datetime]


def post_card(
    *, engine: Engine, client: WebClient, handoff: Handoff, post: HandoffPost, clock: Clock
) -> bool:
    """Post `handoff`'s card, which `post` claims, and record where it is; False if it
    must be retried."""
    card = lead_card(handoff)
    try:
        answer = client.chat_postMessage(
            channel=handoff.channel_id, text=card.text, blocks=card.blocks, unfurl_links=False
        )
    except (SlackApiError, SlackClientError, OSError) as error:
        return _give_back(engine, post, clock, error)
    with session_scope(engine) as session:
        record_posted(session, [Posted(post, str(answer["ts"]), clock())])
    return True


def _give_back(engine: Engine, post: HandoffPost, clock: Clock, error: Exception) -> bool:
    log.warning("could not post the %s of handoff %s: %s", post.what, post.handoff_id, error)
    with session_scope(engine) as session:
        release(session=session, post=post, retry_at=clock() + RETRY, now=clock())
    return False


def remind(
    *,
    engine: Engine,
    client: WebClient,
    handoff: Handoff,
    hours: WorkingHours | None,
    now: datetime,
) -> bool:
    """Post the overdue lead's one reminder in its card's thread, and mark the card."""
    assert handoff.id is not None and handoff.message_ts is not None
    with session_scope(engine) as session:
        post = claim(session=session, handoff=handoff, what=REMINDER, now=now, lease=LEASE)
    if post is None:
        return False  # another clock has it
    waited = worked(handoff.received_at, now, hours)
    note, card = reminder(handoff, waited=waited), lead_card(handoff, overdue=True)
    try:
        client.chat_postMessage(
            channel=handoff.channel_id,
            thread_ts=handoff.message_ts,
            text=note.text,
            blocks=note.blocks,
        )
    except (SlackApiError, SlackClientError, OSError) as error:
        return _give_back(engine, post, lambda: now, error)
    with session_scope(engine) as session:
        finish(session=session, post=post, now=now)
    try:
        client.chat_update(
            channel=handoff.channel_id, ts=handoff.message_ts, text=card.text, blocks=card.blocks
        )
    except (SlackApiError, SlackClientError, OSError) as error:
        log.warning("could not mark the card of handoff %s overdue: %s", handoff.id, error)
    return True


def run_handoffs(
    *, engine: Engine, client: WebClient | ClientFor, now: datetime
) -> tuple[int, int]:
    """The clock's part: cards still to post, then reminders of overdue leads; how many of each.

    A workspace that uninstalled Tandem is skipped (see core.workspaces).
    """
    slack = Workspaces(client)
    with session_scope(engine) as session:
        cards = list(unposted_cards(session=session, now=now))
    posted = 0
    for handoff in cards:
        if not slack.serves(handoff.team_id):
            continue
        with session_scope(engine) as session:
            post = claim(session=session, handoff=handoff, what=CARD, now=now, lease=LEASE)
        if post is not None and post_card(
            engine=engine,
            client=slack.client(handoff.team_id),
            handoff=handoff,
            post=post,
            clock=lambda: now,
        ):
            posted += 1
    with session_scope(engine) as session:
        late = [h for h in overdue(session=session, now=now) if slack.serves(h.team_id)]
        setups = {
            team: setup_of(session=session, team_id=team) for team in {h.team_id for h in late}
        }
    hours = {team: read_hours(setup.hours if setup else None) for team, setup in setups.items()}
    reminded = sum(
        remind(
            engine=engine,
            client=slack.client(h.team_id),
            handoff=h,
            hours=hours[h.team_id],
            now=now,
        )
        for h in late
    )
    return posted, reminded
