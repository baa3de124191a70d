"""Settings: defaults that follow the database, and values read as SPEC §1 says."""

from __future__ import annotations

import os

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
