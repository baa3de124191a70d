"""A database that hangs is not waited on: statements, writes, reads and `/healthz` are bounded."""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from bot.app import create_web
from bot.config import Settings
from bot.services import Services
from core.wording import SORRY_STORAGE
from storage.db import REQUEST_DEADLINE, Database, make_engine, migrate
from storage.models import GlossaryTerm
from storage.writer import Unanswered
from tests.clock import NOW
from tests.factories import add_term
from tests.fake_slack import FakeSlack
from tests.slack_client import SECRET, SignedSlack, reply_text
from tests.test_processes import free_port


def _define(*, session: Session, term: str, hold: threading.Event | None = None) -> str:
    add_term(session=session, term=term, definition="d", at=NOW)
    session.flush()
    if hold is not None:
        hold.wait(10)
    return term


def _terms(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(GlossaryTerm)) or 0)


async def test_a_write_given_up_on_is_not_committed(engine: Engine, database_url: str) -> None:
    """A write still running at its deadline raises Unanswered, and is rolled back when it ends."""
    db = Database(make_engine(database_url), deadline=0.3)
    hold = threading.Event()
    try:
        started = time.monotonic()
        with pytest.raises(Unanswered):
            await db.write(_define, term="MQL", hold=hold)
        assert time.monotonic() - started < 1
        queued = asyncio.ensure_future(db.write(_define, term="SQL"))
        await asyncio.sleep(0.4)  # the second expires while the first still holds the writer
        hold.set()
        with pytest.raises(Unanswered):
            await queued
        assert await db.write(_define, term="ARR") == "ARR"  # the writer goes on
    finally:
        db.close()
    assert _terms(engine) == 1


def test_sqlite_statements_are_interrupted(tmp_path: Path) -> None:
    """On SQLite a statement on a request's path is interrupted after the timeout."""
    engine = make_engine(f"sqlite:///{tmp_path / 't.db'}", timeout=0.5)
    endless = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
    )
    started = time.monotonic()
    with engine.connect() as connection, pytest.raises(OperationalError, match="interrupt"):
        connection.execute(text(endless)).all()
    assert time.monotonic() - started < 2
    with engine.connect() as connection:  # the connection is usable afterwards
        assert connection.execute(text("SELECT 1")).scalar() == 1
    engine.dispose()


def test_sqlite_lock_waits_are_bounded(tmp_path: Path) -> None:
    """A request waits for another process's lock on the file for the timeout, not 30 s."""
    url = f"sqlite:///{tmp_path / 't.db'}"
    migrate(make_engine(url))
    locker = make_engine(url)
    bounded = make_engine(url, timeout=0.5)
    with locker.connect() as holding:
        holding.execute(text("BEGIN IMMEDIATE"))
        started = time.monotonic()
        with bounded.begin() as connection, pytest.raises(OperationalError, match="locked"):
            connection.execute(text("DELETE FROM glossary_term"))
        assert time.monotonic() - started < 2
        holding.execute(text("ROLLBACK"))
    locker.dispose()
    bounded.dispose()


# --- a PostgreSQL of the test's own, frozen with SIGSTOP ----------------------------------


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def _as_owner(args: list[str]) -> list[str]:
    # initdb refuses to run as root: run the server as the postgres user then.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


@pytest.fixture
def own_postgres() -> Iterator[tuple[str, int]]:
    """A PostgreSQL server on a port of its own: its URL and its postmaster's pid."""
    bin_dir = _pg_bin()
    if bin_dir is None or (os.geteuid() == 0 and shutil.which("runuser") is None):
        pytest.skip("no PostgreSQL server binaries to start a private server with")
    # Not under pytest's temporary directory, which the postgres user may not enter.
    home = Path(tempfile.mkdtemp(prefix="tandem-pg-"))
    data = home / "data"
    if os.geteuid() == 0:
        shutil.chown(home, "postgres")
    port = free_port()
    subprocess.run(
        _as_owner([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off"
    start = [str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-l"]
    subprocess.run(_as_owner([*start, str(home / "log"), "start"]), check=True, capture_output=True)
    pid = int((data / "postmaster.pid").read_text().split()[0])
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres", pid
    finally:
        _signal_cluster(pid, signal.SIGCONT)
        stop = [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]
        subprocess.run(_as_owner(stop), capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


def _cluster(pid: int) -> list[int]:
    """The postmaster and every process it started."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    found = [pid]
    if children.exists():
        found += [int(child) for child in children.read_text().split()]
    return found


def _signal_cluster(pid: int, signum: int) -> None:
    for member in _cluster(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(member, signum)


@pytest.fixture
async def frozen_app(
    own_postgres: tuple[str, int], slack_api: FakeSlack
) -> tuple[SignedSlack, httpx.AsyncClient, int, Database]:
    url, pid = own_postgres
    migrate(make_engine(url))
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_api_url=slack_api.url,
        database_url=url,
    )
    db = Database.for_requests(url)
    web = create_web(services=Services(settings=settings, db=db))
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://t")
    return SignedSlack(http), http, pid, db


async def test_a_frozen_postgresql_is_not_waited_on(
    frozen_app: tuple[SignedSlack, httpx.AsyncClient, int, Database],
) -> None:
    """PostgreSQL stopped with SIGSTOP: commands apologise and `/healthz` says 503, in time."""
    slack, http, pid, db = frozen_app
    try:
        assert (await slack.command("/glossary", "set MQL = Marketing Qualified Lead")).status_code
        assert (await http.get("/healthz")).status_code == 200
        _signal_cluster(pid, signal.SIGSTOP)
        try:
            timed = []
            for command, words in [
                ("/glossary", "set SQL = Sales Qualified Lead"),
                ("/lead", "ACME-42 4 fine lead"),
                ("/glossary", "MQL"),
                ("/intel", "search price"),
                ("/lead", "stats"),
            ]:
                started = time.monotonic()
                response = await asyncio.wait_for(slack.command(command, words), 10)
                timed.append(time.monotonic() - started)
                assert response.status_code == 200
                assert reply_text(response) == SORRY_STORAGE, (command, words)
            started = time.monotonic()
            health = await asyncio.wait_for(http.get("/healthz"), 10)
            assert health.status_code == 503
            assert time.monotonic() - started < 2
            assert max(timed) < 3, timed
        finally:
            _signal_cluster(pid, signal.SIGCONT)
        deadline = time.monotonic() + 5
        while (await http.get("/healthz")).status_code != 200:
            assert time.monotonic() < deadline, "not healthy 5 s after the database came back"
        await asyncio.sleep(REQUEST_DEADLINE)  # whatever ran on must have rolled back by now
        answer = await slack.command("/glossary", "SQL")
        assert "Sales Qualified Lead" not in reply_text(answer)  # it was said not to be saved
    finally:
        await http.aclose()
        db.close()
