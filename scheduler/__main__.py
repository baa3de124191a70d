"""`python -m scheduler`: the clock that posts meeting reminders, lead-card retries and SLA
reminders when they are due, and sends events to the workspaces' receivers.

`python -m scheduler --once [--at 2026-03-02T09:00:00Z]` posts what is due at that
instant (default: now), including what was missed, and exits: for cron-style hosting.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import NoReturn

import aiohttp
import httpx
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings, load_settings
from bot.slack import SlackFor, workspace_clients, workspace_slack, workspace_tokens
from core.handoff_posts import run_handoffs
from core.heap import freeze_imports
from core.workspaces import ClientFor
from scheduler.delivery import PACE, Report, run_due
from scheduler.events import EventReport, deliver_events
from scheduler.retention import run_retention
from storage.db import make_engine
from storage.migrate import migrate_or_exit
from storage.models import utcnow

logger = logging.getLogger("scheduler")

TICK_SECONDS = 30
# Seconds one Slack call may take; a slow channel then fails and is retried later.
CALL_TIMEOUT = 20
AT_FORM = "use ISO-8601 with Z or an offset, such as 2026-03-02T09:00:00Z"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        print(f"tandem: {message}", file=sys.stderr)
        raise SystemExit(2)


def _instant(text: str) -> datetime:
    try:
        instant = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}” is not a date and time; {AT_FORM}") from None
    if instant.utcoffset() is None:
        raise argparse.ArgumentTypeError(f"“{text}” has no time zone; {AT_FORM}")
    return instant.astimezone(UTC)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = _Parser(prog="python -m scheduler", description=__doc__.splitlines()[0])
    parser.add_argument("--once", action="store_true", help="post what is due, then exit")
    parser.add_argument(
        "--at", type=_instant, metavar="INSTANT", help="with --once: act as if it were then"
    )
    args = parser.parse_args(argv)
    if args.at is not None and not args.once:
        parser.error("--at needs --once: the running clock always uses the current time")
    return args


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    settings = load_settings()
    engine = make_engine(settings.database_url)
    migrate_or_exit(engine)
    clock = clock_of(settings=settings, engine=engine)
    freeze_imports()
    try:
        if args.once:
            raise SystemExit(_once(clock, now=args.at or utcnow()))
        _run_clock(clock)
    finally:
        clock.http.close()
        engine.dispose()


@dataclass(frozen=True)
class Clock:
    """What every run of the clock works with."""

    engine: Engine
    client: WebClient | ClientFor  # Slack: one client, or each workspace's (OAuth)
    http: httpx.Client  # the workspaces' event receivers
    # Slack for meeting reminders: given the run's HTTP session, the client for a team id.
    slack: Callable[..., SlackFor]
    retention_days: int | None = None  # TANDEM_RETENTION_DAYS
    pace: float = PACE  # seconds between two posts in one channel


def clock_of(*, settings: Settings, engine: Engine, pace: float = PACE) -> Clock:
    """The clock as `settings` configure it (its `http` is the caller's to close); `pace`
    seconds between two posts in one channel (tests that need no pacing pass 0)."""
    tokens = workspace_tokens(settings=settings, engine=engine)
    return Clock(
        engine=engine,
        client=workspace_clients(settings=settings, tokens=tokens, timeout=CALL_TIMEOUT),
        http=httpx.Client(),
        slack=partial(workspace_slack, settings=settings, tokens=tokens, timeout=CALL_TIMEOUT),
        retention_days=settings.tandem_retention_days,
        pace=pace,
    )


@dataclass(frozen=True)
class Run:
    """What one run did: meeting reminders, handoff cards and SLA reminders, events."""

    reminders: Report
    cards: int
    sla_reminders: int
    events: EventReport

    def __str__(self) -> str:
        r, e = self.reminders, self.events
        return (
            f"{len(r.posted)} posted, {len(r.skipped)} skipped, {len(r.failed)} to retry, "
            f"{len(r.busy)} left to another clock; {self.cards} lead card(s), "
            f"{self.sla_reminders} SLA reminder(s); {len(e.delivered)} event(s) delivered, "
            f"{len(e.retrying)} to retry, {len(e.failed)} given up"
        )

    @property
    def quiet(self) -> bool:
        r, e = self.reminders, self.events
        moved = (r.posted, r.skipped, r.failed, e.delivered, e.retrying, e.failed)
        return not any(moved) and not self.cards and not self.sla_reminders


def run_once(clock: Clock, now: datetime) -> Run:
    """Everything due at `now`: meeting reminders, handoff posts, then events."""
    reminders = asyncio.run(_reminders(clock, now))
    cards, sla = run_handoffs(engine=clock.engine, client=clock.client, now=now)
    events = deliver_events(engine=clock.engine, http=clock.http, now=now)
    run_retention(engine=clock.engine, days=clock.retention_days, now=now)  # once a day
    return Run(reminders, cards, sla, events)


async def _reminders(clock: Clock, now: datetime) -> Report:
    # One session for the run: its connections to Slack are kept from post to post.
    async with aiohttp.ClientSession() as session:
        slack = clock.slack(session=session)
        return await run_due(engine=clock.engine, slack=slack, now=now, pace=clock.pace)


def _stop(message: str) -> NoReturn:
    print(f"tandem: {message}".splitlines()[0], file=sys.stderr)
    raise SystemExit(1)


def _once(clock: Clock, *, now: datetime) -> int:
    try:
        run = run_once(clock, now)
    except SQLAlchemyError as error:
        _stop(f"the database failed: {error}")
    logger.info("at %s: %s", f"{now:%Y-%m-%dT%H:%M:%SZ}", run)
    if run.reminders.failed:
        print(
            f"tandem: {len(run.reminders.failed)} reminder(s) could not be posted; "
            "the next run retries them",
            file=sys.stderr,
        )
        return 1
    return 0


def _tick(clock: Clock) -> None:
    try:
        run = run_once(clock, utcnow())
    except SQLAlchemyError as error:
        logger.error("the database failed; trying again next tick: %s", str(error).splitlines()[0])
        return
    if not run.quiet:
        logger.info("%s", run)


# Held while a tick runs: the process waits for it before exiting, since a run's database
# threads can take no new work once the interpreter starts shutting down.
_TICKING = threading.Lock()


def _ticking(clock: Clock) -> None:
    with _TICKING:
        _tick(clock)


def _run_clock(clock: Clock) -> None:
    scheduler = BlockingScheduler(timezone=UTC)
    scheduler.add_job(
        _ticking,
        IntervalTrigger(seconds=TICK_SECONDS, timezone=UTC),
        args=[clock],
        id="deliveries",
        next_run_time=datetime.now(UTC),
        coalesce=True,
        max_instances=1,
        misfire_grace_time=TICK_SECONDS,
    )
    # A posting in progress finishes before the process exits.
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    logger.info("clock started: looking for due reminders every %d s", TICK_SECONDS)
    try:
        scheduler.start()
    except KeyboardInterrupt:
        scheduler.shutdown(wait=False)
    with _TICKING:
        logger.info("clock stopped")


if __name__ == "__main__":
    main()
