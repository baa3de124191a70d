"""OAuth mode (SPEC §7): installs into many workspaces, each served with its own token.

Installs go the way a person's browser takes them: `/slack/install`, Slack's page (the
fake approves with `grant`), `/slack/oauth_redirect`; the fake records the Authorization
header of every call, so each post is checked against the token its workspace was issued.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
import yaml
from sqlalchemy import Engine, func, select, update
from sqlmodel import Session

from bot.app import create_web
from bot.config import Settings, load_settings
from bot.installs import BOT_SCOPES
from bot.services import Services
from scheduler.__main__ import clock_of, run_once
from scheduler.__main__ import main as clock_main
from storage.db import Database, make_engine, session_scope
from storage.models import SLACK_BOTS, SLACK_INSTALLATIONS, SLACK_OAUTH_STATES
from tests.clock import SetClock
from tests.factories import make_cadence
from tests.fake_slack import FakeSlack
from tests.slack_client import SECRET, SignedSlack

CLIENT_ID, CLIENT_SECRET = "1111.2222", "client-secret"
# first-tue 10:00 America/New_York with its agenda a day ahead: Monday 2 March 2026 15:00Z.
AGENDA_AT = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
SET_AT = datetime(2026, 2, 20, tzinfo=UTC)
MANIFEST = yaml.safe_load((Path(__file__).parent.parent / "manifest.yml").read_text())


@pytest.fixture
def oauth(database_url: str, slack_api: FakeSlack) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_signing_secret=SECRET,
        slack_api_url=slack_api.url,
        database_url=database_url,
        tandem_leads=frozenset({"ULEAD"}),
    )


@pytest.fixture
async def tandem(oauth: Settings, db: Database, clock: SetClock) -> AsyncIterator[SignedSlack]:
    """The app in OAuth mode, reached over https as a browser and Slack reach it."""
    web = create_web(services=Services(settings=oauth, db=db, clock=clock))
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="https://tandem.test") as http:
        yield SignedSlack(http)
    await web.state.cards.close()


async def start_install(http: httpx.AsyncClient) -> tuple[str, str]:
    """Open the install page: the state in its Add to Slack link, and the browser's cookie."""
    page = await http.get("/slack/install")
    assert page.status_code == 200
    assert "Add to Slack" in page.text
    link = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page.text)
    assert link is not None, page.text
    query = parse_qs(urlsplit(html.unescape(link[1])).query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"] == [",".join(BOT_SCOPES)]
    cookie = page.headers["set-cookie"].split(";")[0]
    return query["state"][0], cookie


async def install(
    http: httpx.AsyncClient, slack_api: FakeSlack, team: str | None, **grant: Any
) -> httpx.Response:
    """Install Tandem as a person does: the install page, Slack's approval, the redirect."""
    state, cookie = await start_install(http)
    code = slack_api.grant(team, **grant)
    return await redirect(http, code=code, state=state, cookie=cookie)


async def redirect(
    http: httpx.AsyncClient, *, code: str, state: str, cookie: str
) -> httpx.Response:
    return await http.get(
        "/slack/oauth_redirect", params={"code": code, "state": state}, headers={"Cookie": cookie}
    )


def issued(slack_api: FakeSlack) -> dict[str, str]:
    """The bot token Slack issued to each workspace (or organization), newest last."""
    tokens = {}
    for call in slack_api.calls_of("auth.test"):
        assert call.token is not None
        team = call.token.split("-")[1]
        tokens[team] = call.token
    return tokens


def posted_with(slack_api: FakeSlack, method: str = "chat.postMessage") -> dict[str, str | None]:
    """The token each channel's posts went out with."""
    return {str(call.params.get("channel")): call.token for call in slack_api.calls_of(method)}


async def share(tandem: SignedSlack, *, team: str, channel: str) -> None:
    """`/collateral add` in `channel` of `team`: Tandem announces it there."""
    url = f"https://example.com/{team}.pdf"
    response = await tandem.command(
        "/collateral", f"add {url} Case study", team=team, channel=channel
    )
    assert response.status_code == 200


def home_opened(user: str) -> dict[str, Any]:
    return {"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"}


def cadence_in(engine: Engine, team: str, channel: str) -> None:
    with session_scope(engine) as session:
        make_cadence(session=session, team_id=team, channel_id=channel, now=SET_AT)


async def run_clock(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    oauth: Settings,
    at: datetime,
    *,
    as_operator: bool = False,
) -> int:
    """The clock's run at `at`, configured for OAuth: as an operator runs it (`python -m
    scheduler --once --at …`, which paces posts a second apart), or in-process unpaced."""
    if not as_operator:
        engine = make_engine(oauth.database_url)
        clock = clock_of(settings=oauth, engine=engine, pace=0)
        try:
            run = await asyncio.to_thread(run_once, clock, at)
        finally:
            clock.http.close()
            engine.dispose()
        return 1 if run.reminders.failed else 0
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLACK_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SLACK_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("SLACK_API_URL", oauth.slack_api_url)
    monkeypatch.setenv("DATABASE_URL", oauth.database_url)
    with pytest.raises(SystemExit) as done:
        # On a thread of its own, as from a shell: the clock runs its own event loop.
        await asyncio.to_thread(clock_main, ["--once", "--at", at.isoformat()])
    return int(done.value.code or 0)


def rows(engine: Engine, table: Any, team: str) -> int:
    with Session(engine) as session:
        count = select(func.count()).select_from(table).where(table.c.team_id == team)
        return int(session.execute(count).scalar_one())


async def test_two_workspaces_install_and_each_is_served_with_its_own_token(
    tandem: SignedSlack,
    slack_api: FakeSlack,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    oauth: Settings,
) -> None:
    """Two installs; each workspace's command, Home tab and agenda use its own token."""
    for team in ("T1", "T2"):
        done = await install(tandem.http, slack_api, team)
        assert done.status_code == 200
        assert f"Tandem is installed in <strong>{team} Inc</strong>" in done.text
    exchanges = slack_api.calls_of("oauth.v2.access")
    assert len(exchanges) == 2
    assert all(call.authorization and call.authorization.startswith("Basic ") for call in exchanges)
    tokens = issued(slack_api)
    assert tokens["T1"] != tokens["T2"]
    assert rows(engine, SLACK_BOTS, "T1") == rows(engine, SLACK_BOTS, "T2") == 1

    await share(tandem, team="T1", channel="C1")
    await share(tandem, team="T2", channel="C2")
    assert posted_with(slack_api) == {"C1": tokens["T1"], "C2": tokens["T2"]}

    for team, user in (("T1", "U1"), ("T2", "U2")):
        assert (await tandem.event(home_opened(user), team=team)).status_code == 200
    home = {call.params["user_id"]: call.token for call in slack_api.calls_of("views.publish")}
    assert home == {"U1": tokens["T1"], "U2": tokens["T2"]}

    cadence_in(engine, "T1", "C1")
    cadence_in(engine, "T2", "C2")
    slack_api.reset()
    assert await run_clock(monkeypatch, tmp_path, oauth, AGENDA_AT, as_operator=True) == 0
    assert posted_with(slack_api) == {"C1": tokens["T1"], "C2": tokens["T2"]}


async def test_a_used_or_expired_install_link_is_refused(
    tandem: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """A state works once: replaying the redirect, or one ten minutes old, installs nothing."""
    state, cookie = await start_install(tandem.http)
    first = await redirect(tandem.http, code=slack_api.grant("T1"), state=state, cookie=cookie)
    assert first.status_code == 200
    again = await redirect(tandem.http, code=slack_api.grant("T1"), state=state, cookie=cookie)
    assert again.status_code == 401
    assert "expired (after 10 minutes) or was already used" in again.text
    assert 'href="/slack/install"' in again.text
    assert len(slack_api.calls_of("oauth.v2.access")) == 1

    state, cookie = await start_install(tandem.http)
    with session_scope(engine) as session:
        # The state was issued eleven minutes ago.
        session.execute(
            update(SLACK_OAUTH_STATES)
            .where(SLACK_OAUTH_STATES.c.state == state)
            .values(expire_at=SLACK_OAUTH_STATES.c.expire_at - timedelta(minutes=11))
        )
    late = await redirect(tandem.http, code=slack_api.grant("T2"), state=state, cookie=cookie)
    assert late.status_code == 401
    assert len(slack_api.calls_of("oauth.v2.access")) == 1
    assert rows(engine, SLACK_INSTALLATIONS, "T2") == 0


async def test_failed_installs_say_why(tandem: SignedSlack, slack_api: FakeSlack) -> None:
    """Cancelling in Slack, another browser, or a refused code each get a page saying so."""
    cancelled = await tandem.http.get("/slack/oauth_redirect", params={"error": "access_denied"})
    assert "The install was cancelled in Slack" in cancelled.text
    state, _ = await start_install(tandem.http)
    foreign = await redirect(tandem.http, code=slack_api.grant("T1"), state=state, cookie="x=y")
    assert foreign.status_code == 400
    assert "not opened in the browser that started the install" in foreign.text
    state, cookie = await start_install(tandem.http)
    refused = await redirect(tandem.http, code="made-up", state=state, cookie=cookie)
    assert refused.status_code == 401
    assert "its code was refused" in refused.text


async def test_uninstalling_one_workspace_leaves_the_other(
    tandem: SignedSlack,
    slack_api: FakeSlack,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    oauth: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """After app_uninstalled, T1's tokens are gone and its agenda is skipped; T2 goes on."""
    for team in ("T1", "T2"):
        assert (await install(tandem.http, slack_api, team)).status_code == 200
    tokens = issued(slack_api)
    cadence_in(engine, "T1", "C1")
    cadence_in(engine, "T2", "C2")

    gone = await tandem.event({"type": "app_uninstalled"}, team="T1")
    assert gone.status_code == 200
    assert rows(engine, SLACK_BOTS, "T1") == rows(engine, SLACK_INSTALLATIONS, "T1") == 0
    assert rows(engine, SLACK_BOTS, "T2") == rows(engine, SLACK_INSTALLATIONS, "T2") == 1

    slack_api.reset()
    with caplog.at_level(logging.INFO):
        assert await run_clock(monkeypatch, tmp_path, oauth, AGENDA_AT) == 0
    assert posted_with(slack_api) == {"C2": tokens["T2"]}
    skipped = [r.getMessage() for r in caplog.records if "no longer installed" in r.getMessage()]
    assert skipped == ["skipping workspace T1: Tandem is no longer installed there"]

    # A running clock says so once, not on every tick.
    caplog.clear()
    clock = clock_of(settings=oauth, engine=engine)
    with caplog.at_level(logging.INFO), clock.http:
        for tick in range(3):
            await asyncio.to_thread(run_once, clock, AGENDA_AT + tick * timedelta(minutes=1))
    assert [r.getMessage() for r in caplog.records if "no longer installed" in r.getMessage()] == [
        "skipping workspace T1: Tandem is no longer installed there"
    ]
    assert posted_with(slack_api) == {"C2": tokens["T2"]}


async def test_revoked_bot_token_is_deleted(
    tandem: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """tokens_revoked naming the bot deletes that workspace's bot token, and only its."""
    for team in ("T1", "T2"):
        assert (await install(tandem.http, slack_api, team)).status_code == 200
    revoked = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBOT"]}}
    assert (await tandem.event(revoked, team="T1")).status_code == 200
    assert rows(engine, SLACK_BOTS, "T1") == 0
    assert rows(engine, SLACK_BOTS, "T2") == 1
    with Session(engine) as session:
        kept = select(SLACK_INSTALLATIONS.c.team_id, SLACK_INSTALLATIONS.c.bot_token)
        tokens = dict(session.execute(kept).all())
    assert tokens["T1"] is None and tokens["T2"] == issued(slack_api)["T2"]

    slack_api.reset()
    await tandem.command("/collateral", "add https://example.com/a.pdf A", team="T1", channel="C1")
    await share(tandem, team="T2", channel="C2")
    assert posted_with(slack_api) == {"C2": tokens["T2"]}


async def test_rotating_tokens_are_refreshed_through_slack_api_url(
    tandem: SignedSlack,
    slack_api: FakeSlack,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    oauth: Settings,
) -> None:
    """With token rotation on, an expiring token is refreshed (at the fake) before use,
    by a request and by the clock alike, and the new token is kept."""
    assert (await install(tandem.http, slack_api, "T3", rotating=True)).status_code == 200
    assert (await install(tandem.http, slack_api, "T4", rotating=True)).status_code == 200
    first = issued(slack_api)

    await share(tandem, team="T3", channel="C3")
    refreshes = [c for c in slack_api.calls_of("oauth.v2.access") if c.params.get("refresh_token")]
    assert [c.params["refresh_token"] for c in refreshes] == [
        f"xoxe-1-T3-{first['T3'].split('-')[2]}"
    ]
    (token,) = posted_with(slack_api).values()
    assert token is not None and token.startswith("xoxb-T3-") and token != first["T3"]
    with Session(engine) as session:
        kept = session.execute(select(SLACK_BOTS.c.bot_token).where(SLACK_BOTS.c.team_id == "T3"))
        assert kept.scalar_one() == token

    cadence_in(engine, "T4", "C4")
    slack_api.reset()
    assert await run_clock(monkeypatch, tmp_path, oauth, AGENDA_AT) == 0
    (refresh,) = slack_api.calls_of("oauth.v2.access")
    assert refresh.params["grant_type"] == "refresh_token"
    (token,) = posted_with(slack_api).values()
    assert token is not None and token.startswith("xoxb-T4-") and token != first["T4"]


async def test_an_org_wide_install_serves_its_workspaces(
    tandem: SignedSlack,
    slack_api: FakeSlack,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    oauth: Settings,
) -> None:
    """An Enterprise Grid org-wide install serves requests from, and the clock of, its
    workspaces with the organization's token."""
    done = await install(tandem.http, slack_api, None, enterprise_id="E1", org_wide=True)
    assert done.status_code == 200
    assert "E1 Org" in done.text
    token = issued(slack_api)["E1"]

    form = {
        "team_id": "T7",
        "enterprise_id": "E1",
        "is_enterprise_install": "true",
        "channel_id": "C7",
        "user_id": "U7",
        "command": "/collateral",
        "text": "add https://example.com/org.pdf Org case study",
        "api_app_id": "A1",
        "response_url": "https://hooks.slack.invalid/commands/1",
        "trigger_id": "1337.42.abcd",
    }
    answer = await tandem.post(urlencode(form), content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 200
    assert posted_with(slack_api) == {"C7": token}

    cadence_in(engine, "T7", "C7")
    slack_api.reset()
    assert await run_clock(monkeypatch, tmp_path, oauth, AGENDA_AT) == 0
    assert posted_with(slack_api) == {"C7": token}

    # The organization uninstalls: its event names no workspace, only the organization.
    envelope = {
        "enterprise_id": "E1",
        "is_enterprise_install": True,
        "api_app_id": "A1",
        "type": "event_callback",
        "event_id": "Ev9",
        "event_time": 1700000000,
        "event": {"type": "app_uninstalled"},
        "authorizations": [
            {
                "enterprise_id": "E1",
                "team_id": None,
                "user_id": "UBOT",
                "is_bot": True,
                "is_enterprise_install": True,
            }
        ],
    }
    gone = await tandem.post(json.dumps(envelope), content_type="application/json")
    assert gone.status_code == 200
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(SLACK_BOTS)).scalar_one() == 0
    slack_api.reset()
    await run_clock(monkeypatch, tmp_path, oauth, AGENDA_AT + timedelta(days=1))
    assert slack_api.calls_of("chat.postMessage") == []


async def test_lead_cards_and_their_reminders_use_the_workspace_token(
    tandem: SignedSlack,
    slack_api: FakeSlack,
    clock: SetClock,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    oauth: Settings,
) -> None:
    """A lead handed to T2 gets its card (web process) and SLA reminder (clock) with T2's token."""
    for team in ("T1", "T2"):
        assert (await install(tandem.http, slack_api, team)).status_code == 200
    tokens = issued(slack_api)
    await tandem.command("/handoff", "set sla:4h", user="ULEAD", team="T2", channel="C8")
    shown = await tandem.command("/handoff", "token", user="ULEAD", team="T2", channel="C8")
    secret = re.search(r"tdm_[A-Za-z0-9_-]+", shown.text)
    assert secret is not None, shown.text
    slack_api.reset()
    lead = await tandem.http.post(
        "/hooks/leads", json={"lead": "ACME-42"}, headers={"Authorization": f"Bearer {secret[0]}"}
    )
    assert lead.status_code == 202
    (card,) = await slack_api.sent_soon("chat.postMessage")
    assert card["channel"] == "C8"
    assert [c.token for c in slack_api.calls_of("chat.postMessage")] == [tokens["T2"]]

    slack_api.reset()
    assert await run_clock(monkeypatch, tmp_path, oauth, clock.now + timedelta(hours=5)) == 0
    (reminder,) = slack_api.calls_of("chat.postMessage")
    assert reminder.params["thread_ts"] and reminder.token == tokens["T2"]
    assert [c.token for c in slack_api.calls_of("chat.update")] == [tokens["T2"]]


def test_the_manifest_asks_for_what_oauth_installs() -> None:
    """The manifest's redirect URL, bot scopes and uninstall events match OAuth mode."""
    config = MANIFEST["oauth_config"]
    assert any(url.endswith("/slack/oauth_redirect") for url in config["redirect_urls"])
    assert tuple(config["scopes"]["bot"]) == BOT_SCOPES
    events = MANIFEST["settings"]["event_subscriptions"]["bot_events"]
    assert {"app_uninstalled", "tokens_revoked"} <= set(events)


@pytest.mark.parametrize(
    ("env", "line"),
    [
        (
            {"SLACK_CLIENT_ID": CLIENT_ID},
            "tandem: SLACK_CLIENT_SECRET is not set, but SLACK_CLIENT_ID is: OAuth needs both",
        ),
        (
            {"SLACK_CLIENT_SECRET": CLIENT_SECRET},
            "tandem: SLACK_CLIENT_ID is not set, but SLACK_CLIENT_SECRET is: OAuth needs both",
        ),
        (
            {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET},
            "tandem: SLACK_SIGNING_SECRET is not set (put it in the environment or in .env)",
        ),
        (
            {
                "SLACK_CLIENT_ID": CLIENT_ID,
                "SLACK_CLIENT_SECRET": CLIENT_SECRET,
                "SLACK_SIGNING_SECRET": "s",
                "SLACK_BOT_TOKEN": "xoxb-1",
            },
            "tandem: SLACK_BOT_TOKEN is set beside SLACK_CLIENT_ID: set the bot token for one "
            "workspace, or the client id and secret to be installed into many, not both",
        ),
        (
            {
                "SLACK_CLIENT_ID": CLIENT_ID,
                "SLACK_CLIENT_SECRET": CLIENT_SECRET,
                "SLACK_SIGNING_SECRET": "s",
                "SLACK_APP_TOKEN": "xapp-1",
            },
            "tandem: SLACK_APP_TOKEN is set beside SLACK_CLIENT_ID: Socket Mode serves no install "
            "pages; unset it to be installed over HTTP",
        ),
    ],
)
def test_oauth_configuration_errors_name_the_variable(
    env: dict[str, str],
    line: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The web process stops at start with one line naming what is missing or conflicting."""
    monkeypatch.chdir(tmp_path)
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "SLACK_CLIENT_ID",
        "SLACK_CLIENT_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as stopped:
        load_settings(web=True)
    assert stopped.value.code == 2
    assert capsys.readouterr().err.splitlines() == [line]


def test_oauth_settings_need_no_bot_token(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Client id, secret and signing secret are a whole configuration for the web and the clock."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    monkeypatch.setenv("SLACK_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SLACK_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    assert load_settings(web=True).oauth
    assert load_settings().oauth


async def test_one_token_mode_takes_uninstall_events(slack: SignedSlack) -> None:
    """With SLACK_BOT_TOKEN, the manifest's uninstall events are answered, not refused."""
    for event in ({"type": "app_uninstalled"}, {"type": "tokens_revoked", "tokens": {}}):
        assert (await slack.event(event)).status_code == 200
