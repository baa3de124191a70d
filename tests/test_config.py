"""Settings: defaults that follow the database, and values read as SPEC §1 says."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.config import Settings


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, slack_bot_token="xoxb-1", **values)  # type: ignore[call-arg]


def test_one_web_worker_on_sqlite() -> None:
    """SQLite takes one writer at a time, so the web process runs one worker on it."""
    assert settings().web_workers == 1


def test_a_worker_per_core_on_postgresql() -> None:
    """On PostgreSQL the web process runs one worker per core unless told otherwise."""
    assert settings(database_url="postgresql://db/tandem").web_workers == (os.cpu_count() or 1)
    assert settings(database_url="postgresql://db/tandem", web_concurrency=3).web_workers == 3


def test_leads_are_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    """TANDEM_LEADS is read as comma-separated user IDs, spaces and blanks ignored."""
    monkeypatch.setenv("TANDEM_LEADS", " U1, U2,,U3 ")
    assert settings().tandem_leads == frozenset({"U1", "U2", "U3"})


def test_api_url_gets_its_trailing_slash() -> None:
    """SLACK_API_URL without a trailing slash still names the API's base."""
    assert (
        settings(slack_api_url="http://127.0.0.1:9/api").slack_api_url == "http://127.0.0.1:9/api/"
    )


def test_retention_days(monkeypatch: pytest.MonkeyPatch) -> None:
    """TANDEM_RETENTION_DAYS is a whole number of days; unset or empty keeps everything."""
    assert settings().tandem_retention_days is None
    monkeypatch.setenv("TANDEM_RETENTION_DAYS", "")
    assert settings().tandem_retention_days is None
    monkeypatch.setenv("TANDEM_RETENTION_DAYS", "30")
    assert settings().tandem_retention_days == 30


_GOOD = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
# (variable, bad value or None for unset, the processes it stops)
_ALL = ("bot", "scheduler", "bot.migrate")
# Every process reads its settings through load_settings, so DATABASE_URL is tried in each and
# the other variables in one each (the clock, slowest to start, in fewest): 15 starts, not 36.
_BAD = [
    ("DATABASE_URL", "not a database url", _ALL),
    ("DATABASE_URL", "mysql://tandem@db/tandem", _ALL),
    ("DATABASE_URL", "postgresql://tandem@127.0.0.1:1/tandem", ("bot.migrate",)),
    ("SLACK_API_URL", "ftp://slack.example", ("bot",)),
    ("SLACK_APP_TOKEN", "xoxb-not-an-app-token", ("bot.migrate",)),
    ("PORT", "http", ("bot",)),
    ("PORT", "70000", ("bot.migrate",)),
    ("WEB_CONCURRENCY", "many", ("bot.migrate",)),
    ("SLACK_BOT_TOKEN", None, ("scheduler",)),
    ("SLACK_SIGNING_SECRET", None, ("bot",)),
    ("TANDEM_RETENTION_DAYS", "a month", ("scheduler",)),
    ("SLACK_CLIENT_SECRET", None, ("bot",)),  # with SLACK_CLIENT_ID below: an id without it
]
_RUNS = [(name, value, process) for name, value, processes in _BAD for process in processes]


def _environment(name: str, value: str | None) -> dict[str, str]:
    ours = {field.upper() for field in Settings.model_fields} | set(_GOOD)
    env = {k: v for k, v in os.environ.items() if k not in ours and not k.startswith("TANDEM_")}
    env.update(_GOOD)
    env.pop(name, None)
    if name == "SLACK_CLIENT_SECRET":
        env["SLACK_CLIENT_ID"] = "123.456"
    if value is not None:
        env[name] = value
    return env


def test_every_bad_variable_stops_every_process_with_one_line(tmp_path: Path) -> None:
    """Each bad variable stops `bot`, `scheduler` and `bot.migrate` with one line naming it."""

    def run(case: tuple[str, str | None, str]) -> tuple[tuple[str, str | None, str], str, int]:
        name, value, process = case
        done = subprocess.run(
            [sys.executable, "-m", process],
            cwd=tmp_path,
            env=_environment(name, value),
            capture_output=True,
            text=True,
            timeout=120,
        )
        return case, done.stderr, done.returncode

    # The runs are independent processes: a few at a time keeps the test short.
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(run, _RUNS))
    for (name, value, process), stderr, returncode in outcomes:
        lines = stderr.strip().splitlines()
        assert returncode != 0, (process, name, value)
        assert len(lines) == 1 and name in lines[0], (process, name, value, stderr)
        assert "Traceback" not in stderr
    assert not (tmp_path / "tandem.db").exists()
