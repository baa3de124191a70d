"""`python -m scheduler` run as a process, against the fake Slack, on SQLite and PostgreSQL."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from storage.db import make_engine, session_scope
from storage.models import Delivery
from tests.factories import make_cadence
from tests.fake_slack import FakeSlack
from tests.running import environment
from tests.test_delivery import AGENDA_AT, AGENDA_LEAD, SET_AT

ROOT = Path(__file__).resolve().parent.parent
AT = f"{AGENDA_AT:%Y-%m-%dT%H:%M:%SZ}"


def clock(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scheduler", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def top_level(slack_api: FakeSlack) -> list[str]:
    """Channels of the messages posted outside threads."""
    return [p["channel"] for p in slack_api.sent("chat.postMessage") if not p.get("thread_ts")]


def test_once_migrates_a_new_database_and_posts_once(tmp_path: Path, slack_api: FakeSlack) -> None:
    """On a new SQLite file the clock makes the schema, then posts a due agenda once in two runs."""
    env = environment(database_url=f"sqlite:///{tmp_path / 'tandem.db'}", slack_api=slack_api)
    first = clock("--once", "--at", "2026-02-21T00:00:00Z", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    engine = make_engine(env["DATABASE_URL"])
    try:
        with session_scope(engine) as session:
            make_cadence(session=session, lead=AGENDA_LEAD, now=SET_AT)
        posting = clock("--once", "--at", AT, env=env, cwd=tmp_path)
        assert posting.returncode == 0, posting.stderr
        assert "posted agenda reminder" in posting.stderr
        assert top_level(slack_api) == ["C1"]
        again = clock("--once", "--at", AT, env=env, cwd=tmp_path)
        assert again.returncode == 0, again.stderr
        assert top_level(slack_api) == ["C1"]
    finally:
        engine.dispose()


def test_two_clock_processes_post_once(
    engine: Engine, database_url: str, slack_api: FakeSlack, tmp_path: Path
) -> None:
    """Two `--once` processes at the same instant on one database post the agenda once."""
    with session_scope(engine) as session:
        make_cadence(session=session, lead=AGENDA_LEAD, now=SET_AT)
    env = environment(database_url=database_url, slack_api=slack_api)
    command = [sys.executable, "-m", "scheduler", "--once", "--at", AT]
    processes = [
        subprocess.Popen(command, env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    assert top_level(slack_api) == ["C1"]
    with Session(engine) as session:
        assert [d.status for d in session.scalars(select(Delivery))] == ["done"]


@pytest.mark.parametrize(
    ("value", "says"),
    [("tomorrow", "is not a date and time"), ("2026-03-02T09:00:00", "has no time zone")],
)
def test_bad_at_is_one_line_and_exit_2(
    value: str, says: str, slack_api: FakeSlack, tmp_path: Path
) -> None:
    """An `--at` that isn't an ISO-8601 instant with a zone stops with one line and exit code 2."""
    env = environment(database_url=f"sqlite:///{tmp_path / 'tandem.db'}", slack_api=slack_api)
    result = clock("--once", "--at", value, env=env, cwd=tmp_path)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "--at" in line and says in line and "2026-03-02T09:00:00Z" in line
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "tandem.db").exists()


def test_missing_token_is_one_line_and_exit_2(slack_api: FakeSlack, tmp_path: Path) -> None:
    """Without SLACK_BOT_TOKEN the clock stops at start with one line naming it."""
    env = environment(database_url=f"sqlite:///{tmp_path / 'tandem.db'}", slack_api=slack_api)
    del env["SLACK_BOT_TOKEN"]
    result = clock("--once", env=env, cwd=tmp_path)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "SLACK_BOT_TOKEN" in line
    assert "Traceback" not in result.stderr


def test_running_clock_posts_at_start_and_stops_on_sigterm(
    slack_api: FakeSlack, tmp_path: Path
) -> None:
    """The long-running clock posts what is due right at start and exits cleanly on SIGTERM."""
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    env = environment(database_url=url, slack_api=slack_api)
    assert clock("--once", env=env, cwd=tmp_path).returncode == 0  # makes the schema
    # The clock this process starts reads the real time: a meeting two hours from now (in UTC)
    # whose agenda, a day ahead, is due already.
    set_at = datetime.now(UTC)
    meeting = set_at + timedelta(hours=2)
    engine = make_engine(url)
    with session_scope(engine) as session:
        make_cadence(
            session=session,
            channel_id="C9",
            day_rule=f"day-{meeting.day}",
            at_time=f"{meeting:%H:%M}",
            zone="UTC",
            now=set_at,
        )
    engine.dispose()
    process = subprocess.Popen(
        [sys.executable, "-m", "scheduler"],
        env=env,
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not top_level(slack_api) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert top_level(slack_api) == ["C9"]
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "Traceback" not in err
