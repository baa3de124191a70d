"""`python -m scheduler`: the clock that posts meeting reminders when they are due.

`python -m scheduler --once [--at 2026-03-02T09:00:00Z]` posts what is due at that
instant (default: now), including what was missed, and exits: for cron-style hosting.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from datetime import UTC, datetime
from typing import NoReturn

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.config import load_settings
from bot.slack import web_client
from scheduler.delivery import Report, run_due
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
    client = web_client(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    client.timeout = CALL_TIMEOUT
    try:
        if args.once:
            raise SystemExit(_once(engine=engine, client=client, now=args.at or utcnow()))
        _run_clock(engine=engine, client=client)
    finally:
        engine.dispose()


def _stop(message: str) -> NoReturn:
    print(f"tandem: {message}".splitlines()[0], file=sys.stderr)
    raise SystemExit(1)


def _once(*, engine: Engine, client: WebClient, now: datetime) -> int:
    try:
        report = run_due(engine=engine, client=client, now=now)
    except SQLAlchemyError as error:
        _stop(f"the database failed: {error}")
    logger.info("at %s: %s", f"{now:%Y-%m-%dT%H:%M:%SZ}", _summary(report))
    if report.failed:
        print(
            f"tandem: {len(report.failed)} reminder(s) could not be posted; "
            "the next run retries them",
            file=sys.stderr,
        )
        return 1
    return 0


def _summary(report: Report) -> str:
    return (
        f"{len(report.posted)} posted, {len(report.skipped)} skipped, "
        f"{len(report.failed)} to retry, {len(report.busy)} left to another clock"
    )


def _tick(*, engine: Engine, client: WebClient) -> None:
    try:
        report = run_due(engine=engine, client=client, now=utcnow())
    except SQLAlchemyError as error:
        logger.error("the database failed; trying again next tick: %s", str(error).splitlines()[0])
        return
    if report.posted or report.skipped or report.failed:
        logger.info(_summary(report))


def _run_clock(*, engine: Engine, client: WebClient) -> None:
    scheduler = BlockingScheduler(timezone=UTC)
    scheduler.add_job(
        _tick,
        IntervalTrigger(seconds=TICK_SECONDS, timezone=UTC),
        kwargs={"engine": engine, "client": client},
        id="deliveries",
        next_run_time=datetime.now(UTC),
        coalesce=True,
        max_instances=1,
        misfire_grace_time=TICK_SECONDS,
    )
    # A posting in progress finishes before the process exits: the pool's threads are joined.
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    logger.info("clock started: looking for due reminders every %d s", TICK_SECONDS)
    try:
        scheduler.start()
    except KeyboardInterrupt:
        scheduler.shutdown(wait=False)
    logger.info("clock stopped")


if __name__ == "__main__":
    main()
