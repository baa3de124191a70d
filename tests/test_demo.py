"""`python -m bot --demo --seed`: the stand-in Slack, the page's endpoints and the seed."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import Engine, select
from sqlmodel import Session, SQLModel

from bot.demo import cast, seed
from bot.demo.commands import COMMANDS, SHORTCUTS
from bot.demo.seed import button
from bot.demo.workspace import BOT, Message, Workspace
from storage.db import make_engine, migrate
from tests.demo_server import act, demo_server, state

ROOT = Path(__file__).resolve().parent.parent
REP, MARKETER, LEAD = cast.REP.id, cast.MARKETER.id, cast.LEAD.id
QUARTERLY_AGENDA = "2026-04-12T07:00:00Z"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with demo_server(tmp_path_factory.mktemp("demo")) as base:
        yield base


def messages(base: str, user: str, channel: str) -> list[dict[str, Any]]:
    return [m for m in state(base, user)["messages"] if m["channel"] == channel]


def as_message(shown: dict[str, Any]) -> Message:
    return Message(shown["channel"], shown["ts"], shown["user"], shown["text"], shown["blocks"])


def api(base: str, method: str, token: str = "xoxb-demo", **params: Any) -> dict[str, Any]:
    response = httpx.post(
        f"{base}demo/api/{method}", json=params, headers={"Authorization": f"Bearer {token}"}
    )
    answer: dict[str, Any] = response.json()
    return answer


def test_the_page_needs_nothing_from_the_internet(demo: str) -> None:
    """The page, its script and its style load from the demo and name no other host."""
    page = httpx.get(demo)
    assert page.status_code == 200
    assert 'src="/demo/static/app.js"' in page.text
    for name in ("app.js", "style.css"):
        assert httpx.get(f"{demo}demo/static/{name}").status_code == 200
    for path in (ROOT / "bot/demo/static").iterdir():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(src|href)=\"(https?:)?//", text), path.name
        assert "@import" not in text and "url(http" not in text, path.name


def test_the_composer_knows_every_command_of_the_manifest() -> None:
    """Each slash command and shortcut of manifest.yml, with its usage hint, is on the page."""
    features = yaml.safe_load((ROOT / "manifest.yml").read_text())["features"]
    manifest = {
        (c["command"], c["description"], c["usage_hint"]) for c in features["slash_commands"]
    }
    assert {(c.command, c.description, c.usage_hint) for c in COMMANDS} == manifest
    assert set(SHORTCUTS) == {(s["name"], s["callback_id"]) for s in features["shortcuts"]}


def test_the_seeded_workspace_is_busy_at_first_sight(demo: str) -> None:
    """The last monthly agenda with its thread, lead cards and a voted collateral item."""
    seen = state(demo, REP)
    assert seen["ready"] and {c["id"] for c in seen["channels"]} >= {cast.LEADS.id}
    agenda = [m for m in messages(demo, REP, cast.FIELD_INTEL.id) if "agenda" in m["text"].lower()]
    assert agenda and any(m["thread_ts"] == agenda[0]["ts"] for m in seen["messages"])
    cards = [m for m in messages(demo, REP, cast.LEADS.id) if "New lead" in m["text"]]
    assert len(cards) >= 10
    accepted = next(c for c in cards if "HS-2101" in c["text"])
    assert "Accepted by" in str(accepted["blocks"]) and accepted["edited"]
    announced = [m for m in messages(demo, REP, cast.MARKETING.id) if m["blocks"]]
    assert "Hotel pricing guide 2026" in str(announced[-1]["blocks"])
    assert seen["next_runs"][0] == {"what": "monthly agenda", "at": "2026-04-05T14:00:00Z"}


def test_a_command_answers_the_typer_alone(demo: str) -> None:
    """A slash command reaches the app signed; its confirmation is shown only to who typed it."""
    answer = act(
        demo, "command", REP, channel=cast.SALES.id, command="/glossary",
        text="set CAC = Customer acquisition cost, per won deal",
    )  # fmt: skip
    assert answer["ok"]
    mine = messages(demo, REP, cast.SALES.id)[-1]
    assert mine["ephemeral"] and "Defined *CAC*" in mine["text"]
    assert not any("CAC" in m["text"] for m in messages(demo, MARKETER, cast.SALES.id))


def test_an_export_arrives_as_seven_files_in_a_direct_message(demo: str) -> None:
    """The team lead's `/tandem export` opens a DM on the page with its seven CSV files."""
    lead = cast.LEAD.id
    answer = act(demo, "command", lead, channel=cast.SALES.id, command="/tandem", text="export")
    assert answer["ok"]
    dm = f"D{lead}"
    for _ in range(100):
        sent = [m for m in messages(demo, lead, dm) if m["files"]]
        if sent:
            break
        time.sleep(0.1)
    assert any(c["id"] == dm for c in state(demo, lead)["channels"])
    names = [f["name"] for f in sent[-1]["files"]]
    assert len(names) == 7 and all(name.endswith(".csv") for name in names)
    assert not state(demo, lead)["problems"]


def test_a_form_opens_refuses_and_saves(demo: str) -> None:
    """A command without text opens its form; a bad submission shows errors, a good one saves."""
    act(demo, "command", REP, channel=cast.SALES.id, command="/lead", text="")
    modal = state(demo, REP)["modal"]
    assert modal["view"]["title"]["text"] == "Rate a lead"
    assert state(demo, MARKETER)["modal"] is None
    low = {"type": "static_select", "selected_option": {"value": "1"}}
    values: dict[str, Any] = {
        "lead": {"value": {"type": "plain_text_input", "value": "ACME-77"}},
        "score": {"value": low},
    }
    refused = act(demo, "submit", REP, view_id=modal["id"], state=values)
    assert "reason" in refused["errors"]
    values["reason"] = {"value": {"type": "plain_text_input", "value": "no budget until 2027"}}
    saved = act(demo, "submit", REP, view_id=modal["id"], state=values)
    assert saved["ok"] and not saved["errors"]
    assert "ACME-77" in str(state(demo, REP)["modal"]["view"]["blocks"])
    act(demo, "close", REP)
    assert state(demo, REP)["modal"] is None


def test_a_vote_updates_the_counts_in_place(demo: str) -> None:
    """Clicking a collateral button is a signed block_actions; the message is updated."""
    shown = [m for m in messages(demo, REP, cast.MARKETING.id) if not m["ephemeral"]][-1]
    act(demo, "click", LEAD, channel=shown["channel"], ts=shown["ts"],
        action=button(as_message(shown), "Not helpful"))  # fmt: skip
    after = next(m for m in messages(demo, REP, cast.MARKETING.id) if m["ts"] == shown["ts"])
    assert after["blocks"] != shown["blocks"]


def test_save_as_field_intel_from_the_message_menu(demo: str) -> None:
    """A typed message, saved as intel through the message shortcut: its form is prefilled."""
    act(demo, "say", MARKETER, channel=cast.SALES.id, text="Globex now offers <free> migration")
    said = messages(demo, MARKETER, cast.SALES.id)[-1]
    assert said["user"] == MARKETER and "&lt;free&gt;" in said["text"]
    act(demo, "shortcut", MARKETER, channel=cast.SALES.id, ts=said["ts"],
        callback_id="save_as_intel")  # fmt: skip
    modal = state(demo, MARKETER)["modal"]
    assert "Globex now offers <free> migration" in str(modal["view"]["blocks"])
    act(demo, "close", MARKETER)


def test_a_lead_handed_over_posts_its_card(demo: str) -> None:
    """The page's handoff form goes through POST /hooks/leads with the seeded secret."""
    lead = {"lead": "HS-9001", "name": "Ada <b>", "company": "Contoso", "score": 80}
    answer = act(demo, "handoff", MARKETER, secret=cast.HOOK_SECRET, lead=lead)
    assert answer["status"] == 202
    refused = act(demo, "handoff", MARKETER, secret="wrong", lead=lead)
    assert refused["status"] == 401
    for _ in range(50):
        if any("HS-9001" in m["text"] for m in messages(demo, REP, cast.LEADS.id)):
            break
        httpx.get(demo + "healthz")
    assert any("HS-9001" in m["text"] for m in messages(demo, REP, cast.LEADS.id))


def test_the_home_tab_is_published_for_whoever_opens_it(demo: str) -> None:
    """app_home_opened, signed; the stand-in keeps each person's Home tab."""
    assert act(demo, "home", LEAD)["ok"]
    home = state(demo, LEAD)["home"]
    assert home is not None and not home["refused"]
    assert "Win rate" in str(home["view"]["blocks"]) or "win rate" in str(home["view"]["blocks"])


def test_running_the_clock_posts_the_quarterly_agenda_with_charts(demo: str) -> None:
    """The scheduler's once-run at the agenda's time: thread, charts as images, the .ics."""
    answer = act(demo, "clock", LEAD, at=QUARTERLY_AGENDA)
    assert answer["ok"] and "1 posted" in answer["report"]
    seen = state(demo, LEAD)
    assert seen["now"].startswith("2026-04-12T07:00")
    planning = [m for m in seen["messages"] if m["channel"] == cast.PLANNING.id]
    top = next(m for m in planning if m["thread_ts"] is None)
    files = [f for m in planning if m["thread_ts"] == top["ts"] for f in m["files"]]
    kinds = sorted(f["mimetype"] for f in files)
    assert kinds.count("image/png") >= 2 and "text/calendar" in kinds
    chart = next(f for f in files if f["mimetype"] == "image/png")
    image = httpx.get(demo.rstrip("/") + chart["url_private"])
    assert image.content.startswith(b"\x89PNG")
    ics = next(f for f in files if f["mimetype"] == "text/calendar")
    download = httpx.get(demo.rstrip("/") + ics["url_private"])
    assert b"BEGIN:VCALENDAR" in download.content
    assert download.headers["content-disposition"].startswith("attachment")


def test_the_stand_in_refuses_what_slack_refuses(demo: str) -> None:
    """Wrong token, broken blocks, an unknown trigger: Slack's errors, and shown on the page."""
    assert api(demo, "chat.postMessage", token="xoxb-other", channel=cast.SALES.id)["error"] == (
        "not_authed"
    )
    broken = api(demo, "chat.postMessage", channel=cast.SALES.id, text="x",
                 blocks=[{"type": "section"}])  # fmt: skip
    assert broken["error"] == "invalid_blocks"
    shown = messages(demo, REP, cast.SALES.id)[-1]
    assert shown["refused"] and "text or fields" in shown["refused"][0]
    assert api(demo, "views.open", trigger_id="nope", view={})["error"] == "invalid_trigger_id"
    assert api(demo, "chat.postMessage", channel="CNOPE", text="x")["error"] == (
        "channel_not_found"
    )
    person = api(demo, "users.info", user=LEAD)["user"]
    assert person["real_name"] == cast.LEAD.name and person["tz"]
    assert api(demo, "apps.uninstall")["error"] == "unknown_method"


def test_a_response_url_answers_the_one_who_acted() -> None:
    """Posts to a response_url are ephemeral, in the channel when they say so, or replace the
    message clicked; a URL never handed out is refused."""
    workspace = Workspace(
        team_id=cast.TEAM, people=list(cast.PEOPLE), channels=list(cast.CHANNELS),
        clock=lambda: cast.START,
    )  # fmt: skip
    url = workspace.response_url("http://demo/", user=REP, channel=cast.SALES.id)
    assert workspace.respond(url.rsplit("/", 1)[1], {"text": "only you"})
    assert workspace.respond(url.rsplit("/", 1)[1], {"text": "all", "response_type": "in_channel"})
    assert not workspace.respond("R-never", {"text": "x"})
    only, everyone = workspace.messages
    assert (only.only_for, everyone.only_for) == (REP, None)
    clicked = workspace.add(Message(cast.SALES.id, workspace.new_ts(), BOT, "card"))
    url = workspace.response_url("http://demo/", user=REP, channel=cast.SALES.id, ts=clicked.ts)
    workspace.respond(url.rsplit("/", 1)[1], {"text": "new", "replace_original": True})
    assert (clicked.text, clicked.edited) == ("new", True)


def _rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    dump = {}
    with Session(engine) as session:
        for table in SQLModel.metadata.sorted_tables:
            columns = [c for c in table.columns if c.name != "id"]
            rows = session.execute(select(*columns)).all()
            dump[table.name] = sorted(tuple(map(str, row)) for row in rows)
    return dump


def test_the_seed_is_the_same_every_time(engine: Engine, tmp_path: Path) -> None:
    """Seeding twice (each backend, and a fresh SQLite) stores the same records."""
    seed.seed(engine)
    again = make_engine(f"sqlite:///{tmp_path / 'again.db'}")
    migrate(again)
    seed.seed(again)
    first, second = _rows(engine), _rows(again)
    again.dispose()
    assert first == second
    assert seed.already_seeded(engine)
    assert len(first["lead_rating"]) >= 40 and len(first["handoff"]) >= 20
    assert len({row for row in first["win_loss"]}) == len(seed.DEALS)
