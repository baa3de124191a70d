"""Shared fixtures: the fake Slack server, signed requests, and a database on each backend.

Every test that takes `database_url` (directly or through `db`, `web`, …) runs once on
SQLite and once on PostgreSQL. PostgreSQL is found at TANDEM_TEST_POSTGRES_URL
(default postgresql://postgres@127.0.0.1:5432/test); where it does not answer its runs
are skipped, unless TANDEM_REQUIRE_POSTGRES=1 (as in .ci/run) makes that a failure.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlmodel import SQLModel

from bot.app import create_web
from bot.config import Settings
from bot.services import Services
from storage.db import Database, make_engine, migrate, normalize_url
from tests.clock import NOW, SetClock
from tests.fake_slack import FakeSlack
from tests.forms import check_blocks, check_view
from tests.slack_client import SECRET, SignedSlack

POSTGRES_URL = os.environ.get(
    "TANDEM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
ENABLE_POSTGRES = (
    "PostgreSQL is not answering at {url}: start it, or point TANDEM_TEST_POSTGRES_URL "
    "at one, to run them."
)


def _postgres_admin() -> Engine | None:
    engine = create_engine(
        normalize_url(POSTGRES_URL),
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": 3},
    )
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:
        engine.dispose()
        return None
    return engine


_POSTGRES: dict[str, bool] = {}


def _postgres_answers() -> bool:
    if "up" not in _POSTGRES:
        admin = _postgres_admin()
        _POSTGRES["up"] = admin is not None
        if admin is not None:
            admin.dispose()
    return _POSTGRES["up"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without PostgreSQL, skip its runs up front (or fail, when CI requires them)."""
    on_postgres = [item for item in items if "[postgresql" in item.nodeid]
    if not on_postgres or _postgres_answers():
        return
    if os.environ.get("TANDEM_REQUIRE_POSTGRES") == "1":
        raise pytest.UsageError(ENABLE_POSTGRES.format(url=POSTGRES_URL))
    skip = pytest.mark.skip(reason="PostgreSQL is not answering")
    for item in on_postgres:
        item.add_marker(skip)
    config.stash[_SKIPPED] = len(on_postgres)


_SKIPPED = pytest.StashKey[int]()


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    _say_browser_skips(terminalreporter)
    skipped = config.stash.get(_SKIPPED, 0)
    if skipped:
        terminalreporter.write_line(
            f"{skipped} PostgreSQL runs skipped. " + ENABLE_POSTGRES.format(url=POSTGRES_URL),
            yellow=True,
        )


def _say_browser_skips(terminalreporter: pytest.TerminalReporter) -> None:
    """One line, like PostgreSQL's, when the demo's browser tests were skipped (and why)."""
    reasons = {
        str(report.longrepr[2]).removeprefix("Skipped: ")
        for report in terminalreporter.stats.get("skipped", [])
        if isinstance(report.longrepr, tuple) and "Chromium" in str(report.longrepr[2])
    }
    for reason in reasons:
        terminalreporter.write_line(reason, yellow=True)


def _postgres_or_skip() -> Engine:
    """The admin engine; without PostgreSQL the test is skipped (or fails, when CI requires it)."""
    admin = _postgres_admin()
    if admin is None:
        if os.environ.get("TANDEM_REQUIRE_POSTGRES") == "1":
            pytest.fail(ENABLE_POSTGRES.format(url=POSTGRES_URL))
        pytest.skip(ENABLE_POSTGRES.format(url=POSTGRES_URL))
    return admin


def _migrated(url: str) -> str:
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    return url


@pytest.fixture
def postgres_admin() -> Iterator[Engine]:
    """An autocommit engine on the PostgreSQL server, for tests that make their own databases."""
    admin = _postgres_or_skip()
    yield admin
    admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated, empty database of each kind, made for this test session."""
    if request.param == "sqlite":
        yield _migrated(f"sqlite:///{tmp_path_factory.mktemp('db') / 'tandem.db'}")
        return
    admin = _postgres_or_skip()
    name = f"tandem_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield _migrated(admin.url.set(database=name).render_as_string(hide_password=False))
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """The test database's engine; every table is emptied after the test."""
    engine = make_engine(database_url)
    yield engine
    tables = [table.name for table in reversed(SQLModel.metadata.sorted_tables)]
    # A write the app finishes in the background (a lead card being recorded) may still hold
    # a row: PostgreSQL then picks the TRUNCATE as a deadlock victim, and a moment later it is
    # free.
    for attempt in range(3):
        try:
            _empty(engine, tables)
            break
        except OperationalError:
            if attempt == 2:
                raise
            time.sleep(0.5)
    engine.dispose()


def _empty(engine: Engine, tables: list[str]) -> None:
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def db(engine: Engine) -> Iterator[Database]:
    database = Database(engine)
    yield database
    database.writer.close()


@pytest.fixture(scope="session")
def fake_slack() -> Iterator[FakeSlack]:
    server = FakeSlack().start()
    yield server
    server.stop()


@pytest.fixture
def slack_api(fake_slack: FakeSlack) -> Iterator[FakeSlack]:
    """The fake Slack Web API, with nothing recorded yet.

    Afterwards every message and view the app sent must have passed Block Kit validation.
    """
    fake_slack.reset()
    yield fake_slack
    sent = list(fake_slack.calls)
    fake_slack.reset()
    for call in sent:
        if call.method.startswith("views.") and isinstance(call.params.get("view"), dict):
            check_view(call.params["view"])
        elif call.method.startswith("chat.") and call.params.get("blocks"):
            check_blocks(call.params["blocks"])


@pytest.fixture
def settings(database_url: str, slack_api: FakeSlack) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_api_url=slack_api.url,
        database_url=database_url,
        tandem_leads=frozenset({"ULEAD"}),
    )


@pytest.fixture
def clock() -> SetClock:
    """The app's clock in a test: it stands at NOW until the test moves it."""
    return SetClock(NOW)


@pytest.fixture
async def slack(settings: Settings, db: Database, clock: SetClock) -> AsyncIterator[SignedSlack]:
    """Signed requests into the real app, wired to the fake Slack, the test database and clock."""
    web = create_web(services=Services(settings=settings, db=db, clock=clock))
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://tandem.test") as http:
        yield SignedSlack(http)
    await web.state.cards.close()


@pytest.fixture
async def down(slack_api: FakeSlack) -> AsyncIterator[SignedSlack]:
    """The app wired to a database that does not answer."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_api_url=slack_api.url,
    )
    db = Database(make_engine("postgresql://postgres@127.0.0.1:1/nowhere"))
    web = create_web(services=Services(settings=settings, db=db))
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://tandem.test") as http:
        yield SignedSlack(http)
    db.writer.close()
