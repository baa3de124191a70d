"""Sending the outbox's events to each workspace's receiver, signed, in order per lead.

`deliver_events` is the one entry point. Each due event (only the oldest pending event of
a lead is ever due, see storage.outbox) is claimed in its own committed transaction before
it is sent, so two senders never send it at once; events of different leads go out
concurrently. A 2xx answer delivers it; anything else (another status, a refused or
dropped connection, no answer within `TIMEOUT`) gives it back with a retry time that
doubles from 30 s up to 10 min. It fails for good only when its next try would come more
than 48 h after the change it reports, so a receiver gets at least a day to come back.

A sender that dies after the receiver took an event, before recording it, leaves it to be
sent again once its lease runs out: receivers drop repeats by the event's `id`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import httpx
from sqlalchemy import Engine

from scheduler.timing import Clock, backoff, running_from
from storage.db import session_scope
from storage.models import OutboxEvent
from storage.outbox import (
    claim_event,
    due_events,
    mark_delivered,
    mark_failed_try,
    receiver_of,
    stamp,
)

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
TIMEOUT = 10.0  # seconds for the whole request; well inside LEASE
WORKERS = 4
ROUNDS = 10  # a lead with more events than this waits for the next run
RETRY_FIRST = timedelta(seconds=30)
RETRY_MOST = timedelta(minutes=10)
GIVE_UP_AFTER = timedelta(hours=48)
NO_RECEIVER = "the workspace no longer has a receiver for events"

Outcome = Literal["delivered", "retrying", "failed", "busy"]


@dataclass(frozen=True)
class EventReport:
    """What one run did, by event id; events another sender held are in none of them."""

    delivered: tuple[str, ...] = ()
    retrying: tuple[str, ...] = ()  # given back, to be tried again by a later run
    failed: tuple[str, ...] = ()  # retries ran out, or nowhere to send it


def sign(secret: str, body: bytes) -> str:
    """The `X-Tandem-Signature` of `body`: `sha256=` and the hex HMAC-SHA256 keyed with `secret`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def next_try(*, attempts: int, created_at: datetime, now: datetime) -> datetime | None:
    """When to try again after `attempts` failed tries; None once that is past the 48 h."""
    retry_at = now + backoff(attempts, first=RETRY_FIRST, most=RETRY_MOST)
    return None if retry_at > created_at + GIVE_UP_AFTER else retry_at


def deliver_events(
    *, engine: Engine, http: httpx.Client, now: datetime, timeout: float = TIMEOUT
) -> EventReport:
    """Send every event due at `now`; after a lead's event is settled, go on to its next."""
    clock = running_from(now)
    outcome: dict[Outcome, list[str]] = {"delivered": [], "retrying": [], "failed": [], "busy": []}
    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="events") as pool:
        for _ in range(ROUNDS):
            with session_scope(engine) as session:
                due = due_events(session=session, now=clock())
            results = list(pool.map(lambda event: _send(engine, http, event, clock, timeout), due))
            for event, result in zip(due, results, strict=True):
                outcome[result].append(event.event_id)
            # Only a settled event lets its lead's next one become due.
            if not any(result in ("delivered", "failed") for result in results):
                break
    return EventReport(
        delivered=tuple(outcome["delivered"]),
        retrying=tuple(outcome["retrying"]),
        failed=tuple(outcome["failed"]),
    )


def _send(
    engine: Engine, http: httpx.Client, due: OutboxEvent, clock: Clock, timeout: float
) -> Outcome:
    with session_scope(engine) as session:
        event = claim_event(session=session, event=due, now=clock(), lease=LEASE)
        if event is None:
            return "busy"
        receiver = receiver_of(session=session, team_id=event.team_id)
        if receiver is None or not receiver.notify_secret:
            mark_failed_try(session=session, event=event, error=NO_RECEIVER, retry_at=None)
            logger.warning(
                "dropped event %s of team %s: %s", due.event_id, due.team_id, NO_RECEIVER
            )
            return "failed"
        url, secret = receiver.notify_url, receiver.notify_secret
    assert url is not None
    body = event.body.encode()
    headers = {
        "Content-Type": "application/json",
        "X-Tandem-Signature": sign(secret, body),
        "X-Tandem-Event": event.event_id,
    }
    try:
        answer = http.post(url, content=body, headers=headers, timeout=timeout)
        if not answer.is_success:
            raise _Refused(f"HTTP {answer.status_code} {answer.reason_phrase}".rstrip())
    except Exception as error:
        return _give_back(engine, event, error, clock)
    with session_scope(engine) as session:
        if not mark_delivered(session=session, event=event, now=clock()):
            logger.warning(
                "event %s was taken over by another sender while we sent it", due.event_id
            )
            return "busy"
    logger.info("delivered event %s of team %s", event.event_id, event.team_id)
    return "delivered"


class _Refused(Exception):
    """The receiver answered, but not with a 2xx."""


def _give_back(engine: Engine, event: OutboxEvent, error: Exception, clock: Clock) -> Outcome:
    now = clock()
    retry_at = next_try(attempts=event.attempts, created_at=event.created_at, now=now)
    why = str(error) if isinstance(error, _Refused) else f"{type(error).__name__}: {error}"
    with session_scope(engine) as session:
        if not mark_failed_try(session=session, event=event, error=why, retry_at=retry_at):
            return "busy"
    logger.warning(
        "could not deliver event %s of team %s (try %d): %s; %s",
        event.event_id,
        event.team_id,
        event.attempts,
        why,
        f"retrying from {stamp(retry_at.replace(microsecond=0))}" if retry_at else "giving up",
        # A receiver that is down or refuses is ordinary; anything else is our bug.
        exc_info=not isinstance(error, httpx.HTTPError | _Refused),
    )
    return "retrying" if retry_at else "failed"
