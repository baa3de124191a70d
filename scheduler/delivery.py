"""Posting due meeting reminders exactly once, however many clocks run.

`run_due` is the one entry point, for the long-running clock and for `--once` alike.
Each due reminder is claimed in its own committed transaction before anything is
posted (see storage.deliveries); different reminders are posted concurrently, so one
slow channel holds up no other.

A reminder whose post failed is given back with a retry time; a claim left by a crashed
clock is taken over once its lease expires. Either way the retry continues where the
delivery row says the first try got: from `claimed` it posts everything; from `posted`
or `posted:K` the top-level message (`message_ts`) and K thread replies are already in
Slack, so it builds the agenda again as it stands, leaves out its first K replies and
posts the rest of the thread and the files under the same top-level message.

One window stays open: Slack's API has no idempotency key, so a message that Slack took
in the instant before its row recorded it (a crash right then, or a call that timed out
after Slack acted on it) is posted once more on retry.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import Engine
from sqlmodel import Session

from core.workspaces import ClientFor, Workspaces
from scheduler.agenda import build_agenda, starting_now
from scheduler.due import Post, Reminder, due_reminders, stale_reminders
from scheduler.timing import Clock, backoff, running_from
from storage import deliveries
from storage.cadences import active_cadences
from storage.db import session_scope
from storage.deliveries import (
    Status,
    advance,
    claim,
    key_of,
    posted_with,
    record_skip,
    replies_posted,
)
from storage.models import Cadence, Delivery

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
WORKERS = 4
RETRY_FIRST = timedelta(minutes=1)
RETRY_MOST = timedelta(minutes=15)

Outcome = Literal["posted", "failed", "busy"]


@dataclass(frozen=True)
class Report:
    """What one run did with each reminder it looked at."""

    posted: tuple[Reminder, ...] = ()
    skipped: tuple[Reminder, ...] = ()  # missed for good; recorded so never posted
    failed: tuple[Reminder, ...] = ()  # given back, to be retried by a later run
    busy: tuple[Reminder, ...] = ()  # leased: another clock holds it, or its retry time is ahead


class _LostClaim(Exception):
    """Our lease ran out and another clock took the delivery over."""


def run_due(*, engine: Engine, client: WebClient | ClientFor, now: datetime) -> Report:
    """Post every reminder due at `now` that no one has posted; record the ones missed.

    `client` posts for every workspace, or gives each workspace's; one that uninstalled
    Tandem is skipped, its reminders left unposted.
    """
    with session_scope(engine) as session:
        cadences = active_cadences(session=session)
    missed: list[Reminder] = []
    due: list[tuple[Cadence, Reminder]] = []
    for cadence in cadences:
        try:
            missed += stale_reminders(cadence, now=now)
            due += [(cadence, reminder) for reminder in due_reminders(cadence, now=now)]
        except (ValueError, KeyError) as error:  # a rule or zone this build can't read
            logger.error(
                "cadence %s of team %s is unreadable: %s", cadence.id, cadence.team_id, error
            )
    with session_scope(engine) as session:
        done = deliveries.finished(session=session, reminders=[*missed, *(r for _, r in due)])
    skipped = [r for r in missed if key_of(r) not in done and _skip(engine, r, now=now)]
    slack = Workspaces(client)
    due = [
        (cadence, reminder)
        for cadence, reminder in due
        if key_of(reminder) not in done and slack.serves(cadence.team_id)
    ]
    clock = running_from(now)
    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="delivery") as pool:
        results = list(
            pool.map(
                lambda item: _deliver(
                    engine, slack.client(item[0].team_id), *item, now=now, clock=clock
                ),
                due,
            )
        )
    outcome: dict[Outcome, list[Reminder]] = {"posted": [], "failed": [], "busy": []}
    for (_, reminder), result in zip(due, results, strict=True):
        outcome[result].append(reminder)
    return Report(
        posted=tuple(outcome["posted"]),
        skipped=tuple(skipped),
        failed=tuple(outcome["failed"]),
        busy=tuple(outcome["busy"]),
    )


def _skip(engine: Engine, reminder: Reminder, *, now: datetime) -> bool:
    with session_scope(engine) as session:
        marked = record_skip(session=session, reminder=reminder, now=now)
    if marked:
        why = "the meeting has started" if reminder.post == Post.AGENDA else "it is too late"
        logger.info("skipped %s: %s", reminder, why)
    return marked


def _deliver(
    engine: Engine,
    client: WebClient,
    cadence: Cadence,
    reminder: Reminder,
    *,
    now: datetime,
    clock: Clock,
) -> Outcome:
    with session_scope(engine) as session:
        delivery = claim(session=session, reminder=reminder, now=clock(), lease=LEASE)
    if delivery is None:
        logger.debug("%s is posted or being posted by another clock", reminder)
        return "busy"
    try:
        if reminder.post == Post.AGENDA:
            ts = _post_agenda(engine, client, cadence, reminder, delivery, now=now, clock=clock)
        else:
            text, blocks = starting_now(cadence=cadence, occurrence=reminder.occurrence)
            ts = _post(client, channel=reminder.channel_id, text=text, blocks=blocks)
            _advance(engine, delivery, Status.DONE, clock=clock, message_ts=ts)
    except _LostClaim:
        logger.warning("%s was taken over by another clock while we posted it", reminder)
        return "busy"
    except Exception as error:
        retry_at = clock() + backoff(delivery.attempts, first=RETRY_FIRST, most=RETRY_MOST)
        with session_scope(engine) as session:
            deliveries.release(session=session, delivery=delivery, now=clock(), retry_at=retry_at)
        logger.warning(
            "could not post %s (try %d), retrying from %s: %s",
            reminder,
            delivery.attempts,
            f"{retry_at:%Y-%m-%d %H:%M:%SZ}",
            _describe(error),
            exc_info=not isinstance(error, OSError | SlackClientError),
        )
        return "failed"
    logger.info("posted %s (ts %s)", reminder, ts)
    return "posted"


def _post_agenda(
    engine: Engine,
    client: WebClient,
    cadence: Cadence,
    reminder: Reminder,
    delivery: Delivery,
    *,
    now: datetime,
    clock: Clock,
) -> str:
    channel = reminder.channel_id
    with Session(engine) as session:
        agenda = build_agenda(
            session=session, cadence=cadence, occurrence=reminder.occurrence, now=now
        )
    ts = delivery.message_ts
    if ts is None:
        ts = _post(client, channel=channel, text=agenda.text, blocks=agenda.blocks)
        _advance(engine, delivery, Status.POSTED, clock=clock, message_ts=ts)
    total, done = len(agenda.thread), replies_posted(delivery)
    for number, blocks in enumerate(agenda.thread[done:], start=done + 1):
        text = f"{agenda.text}: details {number}/{total}"
        _post(client, channel=channel, text=text, blocks=blocks, thread_ts=ts)
        _advance(engine, delivery, posted_with(number), clock=clock)
    if agenda.files:
        uploads = [
            {"content": f.content, "filename": f.filename, "title": f.title} for f in agenda.files
        ]
        client.files_upload_v2(channel=channel, thread_ts=ts, file_uploads=uploads)
    _advance(engine, delivery, Status.DONE, clock=clock)
    return ts


def _describe(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        return f"Slack answered {error.response.status_code}: {error.response.get('error')}"
    return (str(error).splitlines() or [type(error).__name__])[0]


def _post(client: WebClient, **message: Any) -> str:
    response = client.chat_postMessage(unfurl_links=False, unfurl_media=False, **message)
    return str(response["ts"])


def _advance(
    engine: Engine, delivery: Delivery, status: str, *, clock: Clock, message_ts: str | None = None
) -> None:
    """Record a step as soon as Slack has it, renewing the lease; stop if we lost the claim."""
    lease_until = None if status == Status.DONE else clock() + LEASE
    with session_scope(engine) as session:
        held = advance(
            session=session,
            delivery=delivery,
            status=status,
            now=clock(),
            lease_until=lease_until,
            message_ts=message_ts,
        )
    if not held:
        raise _LostClaim
