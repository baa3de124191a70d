"""Posting due meeting reminders exactly once, however many clocks run.

`run_due` is the one entry point, for the long-running clock and for `--once` alike.
Each due reminder is claimed in its own committed transaction before anything is
posted (see storage.deliveries). Channels are served concurrently, at most
`CHANNELS_AT_ONCE` at a time, each by one task that posts its reminders in turn no faster
than Slack takes them (one message per second per channel). A channel Slack holds back, with
a 429 and its Retry-After or a slow answer, waits on its own: no other channel waits with
it. The database work runs on a few threads beside the event loop.

A reminder whose post failed is given back with a retry time; a claim left by a crashed
clock is taken over once its lease expires. Either way the retry continues where the
delivery row says the first try got: from `claimed` it posts everything; from `posted`
or `posted:K` the top-level message (`message_ts`) and K thread replies are already in
Slack, so it builds the agenda again as it stands, leaves out its first K replies and
posts the rest of the thread and the files under the same top-level message.

Slack's API has no idempotency key, so a post is never repeated blindly: bot.slack retries
one only when Slack's answer proves it was not made, and scheduler.posting looks for a part
whose fate is unknown, or that a resumed delivery may have posted already, before posting
it (what remains is said there).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Literal, TypeVar

import aiohttp
from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Engine
from sqlmodel import Session

from bot.slack import SlackFor
from core.meetings import lead_of
from scheduler.agenda import Agenda, build_agenda, starting_now
from scheduler.due import Post, Reminder, due_reminders, stale_reminders
from scheduler.posting import Poster, Step, describe
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
RETRY_FIRST = timedelta(minutes=1)
RETRY_MOST = timedelta(minutes=15)
# A channel waiting its turn at Slack's pace costs only a task: the real work is bounded by
# the database threads and the HTTP session's connections (aiohttp's default, 100).
CHANNELS_AT_ONCE = 500
# Threads for the database, within the engine's pool (storage.db: 10 + 10 overflow): some
# record each post (short, and a channel's next post waits on it), others build agendas
# (dozens of queries each), so that the records never queue behind the agendas.
RECORD_THREADS = 8
BUILD_THREADS = 8
PACE = 1.0  # seconds between two posts in one channel: Slack's chat.postMessage limit

Outcome = Literal["posted", "failed", "busy"]
T = TypeVar("T")


@dataclass(frozen=True)
class Report:
    """What one run did with each reminder it looked at."""

    posted: tuple[Reminder, ...] = ()
    skipped: tuple[Reminder, ...] = ()  # missed for good; recorded so never posted
    failed: tuple[Reminder, ...] = ()  # given back, to be retried by a later run
    busy: tuple[Reminder, ...] = ()  # leased: another clock holds it, or its retry time is ahead


class _LostClaim(Exception):
    """Our lease ran out and another clock took the delivery over."""


async def run_due(
    *,
    engine: Engine,
    slack: SlackFor,
    now: datetime,
    at_once: int = CHANNELS_AT_ONCE,
    pace: float = PACE,
) -> Report:
    """Post every reminder due at `now` that no one has posted; record the ones missed.

    `slack` gives the client for a workspace; at most `at_once` channels are posted to at
    once, and posts in one channel are `pace` seconds apart.
    """
    with (
        ThreadPoolExecutor(RECORD_THREADS, thread_name_prefix="delivery-db") as records,
        ThreadPoolExecutor(BUILD_THREADS, thread_name_prefix="delivery-agenda") as builds,
    ):
        loop = asyncio.get_running_loop()
        clients: dict[str, AsyncWebClient] = {}
        run = _Run(engine, clients.__getitem__, now, running_from(now), records, builds, loop, pace)
        missed, due = await run.db(_looked_up, engine, now)
        # Each workspace's client, once (with OAuth, a lookup in the database); a workspace
        # that uninstalled Tandem has none, and its reminders are left unposted.
        teams = sorted({reminder.team_id for _, reminder in due})
        found = await asyncio.gather(*(run.db(slack, team_id) for team_id in teams))
        for team_id, client in zip(teams, found, strict=True):
            if client is not None:
                clients[team_id] = client
        channels: dict[tuple[str, str], list[tuple[Cadence, Reminder]]] = {}
        for cadence, reminder in due:
            if reminder.team_id not in clients:
                continue
            channels.setdefault((reminder.team_id, reminder.channel_id), []).append(
                (cadence, reminder)
            )
        gate = asyncio.Semaphore(at_once)
        results = await asyncio.gather(*(_channel(run, gate, items) for items in channels.values()))
        # What is missed for good has no hurry: it is recorded once the due posts are out.
        marked = await asyncio.gather(*(run.db(_skip, engine, r, now=now) for r in missed))
        skipped = [reminder for reminder, done in zip(missed, marked, strict=True) if done]
    outcome: dict[Outcome, list[Reminder]] = {"posted": [], "failed": [], "busy": []}
    for items, results_of in zip(channels.values(), results, strict=True):
        for (_, reminder), result in zip(items, results_of, strict=True):
            outcome[result].append(reminder)
    return Report(
        posted=tuple(outcome["posted"]),
        skipped=tuple(skipped),
        failed=tuple(outcome["failed"]),
        busy=tuple(outcome["busy"]),
    )


@dataclass(frozen=True)
class _Run:
    engine: Engine
    slack: Callable[[str], AsyncWebClient]
    now: datetime
    clock: Clock
    records: ThreadPoolExecutor
    builds: ThreadPoolExecutor
    loop: asyncio.AbstractEventLoop
    pace: float

    async def db(self, work: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """`work(*args, **kwargs)` on a database thread for short records."""
        return await self.loop.run_in_executor(self.records, partial(work, *args, **kwargs))

    async def build(self, work: Callable[..., T], /, *args: Any) -> T:
        """`work(*args)` on a database thread for agendas."""
        return await self.loop.run_in_executor(self.builds, partial(work, *args))


def _looked_up(
    engine: Engine, now: datetime
) -> tuple[list[Reminder], list[tuple[Cadence, Reminder]]]:
    """The reminders missed for good and those due, leaving out the ones finished."""
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
    return (
        [r for r in missed if key_of(r) not in done],
        [(cadence, reminder) for cadence, reminder in due if key_of(reminder) not in done],
    )


def _skip(engine: Engine, reminder: Reminder, *, now: datetime) -> bool:
    with session_scope(engine) as session:
        marked = record_skip(session=session, reminder=reminder, now=now)
    if marked:
        why = "the meeting has started" if reminder.post == Post.AGENDA else "it is too late"
        logger.info("skipped %s: %s", reminder, why)
    return marked


async def _channel(
    run: _Run, gate: asyncio.Semaphore, items: list[tuple[Cadence, Reminder]]
) -> list[Outcome]:
    """One channel's reminders, one after the other."""
    async with gate:
        first = items[0][1]
        poster = Poster(run.slack(first.team_id), first.channel_id, run.pace)
        return [await _deliver(run, poster, cadence, reminder) for cadence, reminder in items]


def _claim(engine: Engine, reminder: Reminder, now: datetime) -> Delivery | None:
    with session_scope(engine) as session:
        return claim(session=session, reminder=reminder, now=now, lease=LEASE)


async def _deliver(run: _Run, poster: Poster, cadence: Cadence, reminder: Reminder) -> Outcome:
    delivery = await run.db(_claim, run.engine, reminder, run.clock())
    if delivery is None:
        logger.debug("%s is posted or being posted by another clock", reminder)
        return "busy"
    # A delivery claimed before may have its next part in Slack already: look before posting.
    step = Step(
        key=_key(reminder),
        since=reminder.occurrence - lead_of(cadence) - timedelta(days=1),
        look=delivery.attempts > 1,
    )
    try:
        if reminder.post == Post.AGENDA:
            ts = await _post_agenda(run, poster, cadence, reminder, delivery, step)
        else:
            text, blocks = starting_now(cadence=cadence, occurrence=reminder.occurrence)
            ts = await poster.post(step, 0, text=text, blocks=blocks)
            await _advance(run, delivery, Status.DONE, message_ts=ts)
    except _LostClaim:
        logger.warning("%s was taken over by another clock while we posted it", reminder)
        return "busy"
    except Exception as error:
        retry_at = run.clock() + backoff(delivery.attempts, first=RETRY_FIRST, most=RETRY_MOST)
        await run.db(_release, run.engine, delivery, run.clock(), retry_at)
        logger.warning(
            "could not post %s (try %d), retrying from %s: %s",
            reminder,
            delivery.attempts,
            f"{retry_at:%Y-%m-%d %H:%M:%SZ}",
            describe(error),
            exc_info=not isinstance(error, OSError | SlackClientError | aiohttp.ClientError),
        )
        return "failed"
    logger.info("posted %s (ts %s)", reminder, ts)
    return "posted"


def _release(engine: Engine, delivery: Delivery, now: datetime, retry_at: datetime) -> None:
    with session_scope(engine) as session:
        deliveries.release(session=session, delivery=delivery, now=now, retry_at=retry_at)


def _agenda(engine: Engine, cadence: Cadence, reminder: Reminder, now: datetime) -> Agenda:
    with Session(engine) as session:
        return build_agenda(
            session=session, cadence=cadence, occurrence=reminder.occurrence, now=now
        )


async def _post_agenda(
    run: _Run,
    poster: Poster,
    cadence: Cadence,
    reminder: Reminder,
    delivery: Delivery,
    step: Step,
) -> str:
    agenda = await run.build(_agenda, run.engine, cadence, reminder, run.now)
    ts = delivery.message_ts
    if ts is None:
        ts = await poster.post(step, 0, text=agenda.text, blocks=agenda.blocks)
        await _advance(run, delivery, Status.POSTED, message_ts=ts)
    total, done = len(agenda.thread), replies_posted(delivery)
    for number, blocks in enumerate(agenda.thread[done:], start=done + 1):
        text = f"{agenda.text}: details {number}/{total}"
        await poster.post(step, number, text=text, blocks=blocks, thread_ts=ts)
        await _advance(run, delivery, posted_with(number))
    if agenda.files:
        uploads = [
            {"content": f.content, "filename": f.filename, "title": f.title} for f in agenda.files
        ]
        await poster.upload(step, uploads, thread_ts=ts)
    await _advance(run, delivery, Status.DONE)
    return ts


def _key(reminder: Reminder) -> str:
    """The delivery's key as its messages carry it in their metadata."""
    return f"{reminder.cadence_id}:{reminder.occurrence:%Y-%m-%dT%H:%MZ}:{reminder.post}"


def _advance_row(
    engine: Engine, delivery: Delivery, status: str, now: datetime, message_ts: str | None
) -> bool:
    lease_until = None if status == Status.DONE else now + LEASE
    with session_scope(engine) as session:
        return advance(
            session=session,
            delivery=delivery,
            status=status,
            now=now,
            lease_until=lease_until,
            message_ts=message_ts,
        )


async def _advance(
    run: _Run, delivery: Delivery, status: str, *, message_ts: str | None = None
) -> None:
    """Record a step as soon as Slack has it, renewing the lease; stop if we lost the claim."""
    if not await run.db(_advance_row, run.engine, delivery, status, run.clock(), message_ts):
        raise _LostClaim
