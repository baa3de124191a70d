"""Database outages under load, with `python -m bot` and `python -m scheduler` running:
PostgreSQL stopped and started again, SQLite's file locked by another process.

People get the apology within Slack's 3 s, `/healthz` says 503 and then 200 again,
nothing that was confirmed is lost, and the clock lives on to post what fell due meanwhile.
"""

from __future__ import annotations

import itertools
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, update

from core.wording import SORRY_STORAGE
from handlers.handoff.hook import token_hash
from storage.db import make_engine, session_scope
from storage.handoffs import update_setup
from storage.models import Handoff
from tests.factories import add_handoff
from tests.fake_slack import FakeSlack
from tests.own_postgres import OwnPostgres
from tests.running import (
    Answer,
    LeadStream,
    Running,
    stored_leads,
    wait_healthy,
    web_environment,
)
from tests.test_processes import free_port

# The outage is 10 s; 5 s makes the same point (many requests, several clock ticks,
# pooled connections cut) in half the suite time.
OUTAGE = 5.0
SLACK_WAITS = 3.0  # seconds Slack waits for an answer
BACK_WITHIN = 5.0  # seconds after the database returns by which /healthz must say so
# `python -m scheduler` with its tick shortened from 30 s to 1 s, so the test takes
# seconds: the clock is otherwise the one operators run.
CLOCK = (
    "import scheduler.__main__ as clock; "
    "assert clock.TICK_SECONDS; clock.TICK_SECONDS = 1; clock.main()"
)
SLA = 60  # minutes
DUE_AFTER = 2.5  # seconds from just before the database goes to the SLA running out
TRACEBACK = "Traceback (most recent call last):"


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    server = OwnPostgres()
    server.start()
    yield server
    server.remove()


@dataclass(frozen=True)
class Probe:
    sent: float  # time.monotonic()
    took: float
    status: int | None  # None: no answer within the client's timeout


@dataclass
class HealthWatch:
    """Asks `/healthz` every 0.1 s on a thread, and keeps every answer."""

    base: str
    probes: list[Probe] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> HealthWatch:
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(timeout=30)

    def _watch(self) -> None:
        for _ in range(2_000):
            if self._stop.is_set():
                return
            sent = time.monotonic()
            try:
                status: int | None = httpx.get(f"{self.base}/healthz", timeout=10).status_code
            except httpx.TransportError:
                status = None
            self.probes.append(Probe(sent, time.monotonic() - sent, status))
            time.sleep(0.1)


@dataclass
class Outage:
    """When the database was unavailable: from the moment it was taken away until it was
    back (monotonic seconds), and the wall-clock moment it went."""

    down: float = 0.0
    up: float = 0.0
    wall_down: datetime = field(default_factory=lambda: datetime.now(UTC))


def check_answers(answers: list[Answer], outage: Outage) -> None:
    """Every request got a 200 within Slack's wait: saved, or (during the outage) the apology."""
    assert answers
    slow = [a for a in answers if a.status != 200 or a.took >= SLACK_WAITS]
    assert not slow, slow[:5]
    during = [a for a in answers if a.sent > outage.down and a.sent + a.took < outage.up]
    assert len(during) >= 3, f"only {len(during)} requests during the outage"
    assert {a.text for a in during} == {SORRY_STORAGE}
    saved_again = [a for a in answers if a.sent > outage.up and a.saved]
    assert saved_again and saved_again[0].sent - outage.up < BACK_WITHIN
    for answer in answers:
        assert answer.saved or answer.text == SORRY_STORAGE, answer


def check_health(probes: list[Probe], outage: Outage) -> None:
    """`/healthz` answered quickly throughout: 503 while the database was away, then 200."""
    assert all(p.status is not None and p.took < SLACK_WAITS for p in probes), probes
    during = [p for p in probes if p.sent > outage.down and p.sent + p.took < outage.up]
    assert during and {p.status for p in during} == {503}
    back = [p for p in probes if p.sent > outage.up and p.status == 200]
    assert back and back[0].sent + back[0].took - outage.up < BACK_WITHIN


def seed_lead(engine: Engine, *, now: datetime) -> None:
    """A lead handed over long ago whose card is still to post (its claim ran out, so the
    clock posts it) and whose SLA runs out in a minute."""
    with session_scope(engine) as session:
        update_setup(
            session=session,
            team_id="T1",
            now=now - timedelta(days=1),
            channel_id="C7",
            sla_minutes=SLA,
            token_hash=token_hash("tdm_outage"),
        )
        add_handoff(
            session=session,
            token_hash=token_hash("tdm_outage"),
            lead="LATE-1",
            at=now - timedelta(minutes=SLA - 1),
        )


def make_due(engine: Engine, *, at: datetime) -> None:
    """Bring the lead's SLA deadline forward to `at`."""
    with session_scope(engine) as session:
        session.execute(update(Handoff).values(due_at=at))


def posts_in(slack_api: FakeSlack, channel: str) -> list[dict[str, object]]:
    return [p for p in slack_api.sent("chat.postMessage") if p["channel"] == channel]


def wait_until(condition: object, *, timeout: float, what: str) -> float:
    """Seconds until `condition()` held; fails after `timeout`."""
    assert callable(condition)
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < timeout, f"no {what} within {timeout} s"
        time.sleep(0.05)
    return time.monotonic() - start


@dataclass
class Seen:
    """What one outage scenario recorded."""

    answers: list[Answer]
    probes: list[Probe]
    outage: Outage
    web: Running
    clock: Running


def under_load(
    *,
    url: str,
    slack_api: FakeSlack,
    cwd: Path,
    take_away: Callable[[], None],
    give_back: Callable[[], None],
    workers: int,
) -> Seen:
    """Run the web app and the clock on `url`, seed a lead whose SLA runs out during the
    outage, and take the database away for OUTAGE seconds under a stream of ratings."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = web_environment(database_url=url, slack_api=slack_api, port=port, workers=workers)
    web = Running(["-m", "bot"], env=env, cwd=cwd)
    clock = Running(["-c", CLOCK], env=env, cwd=cwd)
    engine = make_engine(url)
    try:
        wait_healthy(base, web)
        clock.wait_for("clock started", timeout=30)
        seed_lead(engine, now=datetime.now(UTC))
        wait_until(lambda: posts_in(slack_api, "C7"), timeout=10, what="lead card")
        outage = Outage()
        with LeadStream(base, clients=4) as stream, HealthWatch(base) as health:
            time.sleep(1.0)
            # The SLA runs out shortly after the database goes: the reminder falls due then.
            due = datetime.now(UTC) + timedelta(seconds=DUE_AFTER)
            make_due(engine, at=due)
            take_away()
            outage.down = time.monotonic()
            assert datetime.now(UTC) < due, "taking the database away took too long"
            time.sleep(OUTAGE)
            assert len(posts_in(slack_api, "C7")) == 1  # nothing posted while it was away
            outage.up = time.monotonic()
            give_back()
            wait_until(lambda: len(posts_in(slack_api, "C7")) == 2, timeout=10, what="SLA reminder")
            wait_until(
                lambda: [a for a in stream.answers if a.sent > outage.up and a.saved],
                timeout=BACK_WITHIN + 5,
                what="rating saved after the outage",
            )
            time.sleep(0.5)
        assert datetime.now(UTC) > due
        card, reminder = posts_in(slack_api, "C7")
        assert reminder.get("thread_ts") and not card.get("thread_ts")
        assert clock.process.poll() is None, clock.log
        confirmed = {a.lead for a in stream.answers if a.saved}
        assert confirmed <= stored_leads(engine)
    finally:
        engine.dispose()
        codes = [web.stop(), clock.stop()]
    # One worker is uvicorn itself, which ends by re-raising the SIGTERM it shut down on.
    assert codes in ([0, 0], [-signal.SIGTERM, 0]), web.log + clock.log
    # One traceback per kind of failure, then a line now and then: not one per request.
    logged = web.lines
    with_traceback = [a for a, b in itertools.pairwise(logged) if b == TRACEBACK and a.strip()]
    assert len(with_traceback) <= workers, web.log
    return Seen(stream.answers, health.probes, outage, web, clock)


def test_postgres_stopped_under_load(
    own_postgres: OwnPostgres, slack_api: FakeSlack, tmp_path: Path
) -> None:
    """PostgreSQL stopped for a few seconds under a stream of `/lead` ratings and restarted:
    apologies within 3 s, /healthz 503 then 200 within 5 s, every confirmed rating stored,
    and the running clock posts the SLA reminder that fell due while it was down."""
    seen = under_load(
        url=own_postgres.url,
        slack_api=slack_api,
        cwd=tmp_path,
        take_away=own_postgres.stop,
        give_back=own_postgres.start,
        workers=2,
    )
    check_answers(seen.answers, seen.outage)
    check_health(seen.probes, seen.outage)
    assert "the database failed; trying again next tick" in seen.clock.log


# Holds SQLite's write lock, as another program writing to the file would, until its
# standard input closes.
LOCKER = (
    "import sqlite3, sys; "
    "db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30); "
    "db.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); "
    "sys.stdin.read(); db.execute('ROLLBACK')"
)


def test_sqlite_locked_under_load(slack_api: FakeSlack, tmp_path: Path) -> None:
    """SQLite's file locked by another process for a few seconds under a stream of `/lead`
    ratings: the same apologies, health and recovery, and the clock posts what fell due."""
    path = tmp_path / "tandem.db"
    lockers: list[subprocess.Popen[str]] = []

    def lock() -> None:
        locker = subprocess.Popen(
            [sys.executable, "-c", LOCKER, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        lockers.append(locker)
        assert locker.stdout is not None and locker.stdout.readline() == "locked\n"

    def unlock() -> None:
        (locker,) = lockers
        assert locker.stdin is not None
        locker.stdin.close()
        assert locker.wait(timeout=10) == 0

    try:
        seen = under_load(
            url=f"sqlite:///{path}",
            slack_api=slack_api,
            cwd=tmp_path,
            take_away=lock,
            give_back=unlock,
            workers=1,
        )
    finally:
        for locker in lockers:
            locker.kill()
    check_answers(seen.answers, seen.outage)
    check_health(seen.probes, seen.outage)
