"""`/intel`, its form and the "Save as field intel" shortcut, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import Engine, event, select
from sqlmodel import Session

from handlers.intel import FORM as FORM_ID
from handlers.intel.parse import parse_intel
from storage.db import session_scope
from storage.intel import (
    NewIntel,
    fts5_query,
    intel_by_competitor,
    intel_by_kind,
    recent_intel,
    search_intel,
)
from storage.models import IntelPost
from tests.factories import add_intel
from tests.fake_slack import FakeSlack
from tests.forms import (
    Payload,
    check_blocks,
    check_view,
    selected,
    text_value,
    view_submission,
)
from tests.slack_client import SignedSlack, reply_text

ACME = "competitor:Acme cut list price 20% in EMEA"
GLOBEX = 'customer:"Globex Corp" wants SSO before renewal'
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_parse_examples() -> None:
    """The SPEC examples parse into kind, subject and text."""
    assert parse_intel(ACME) == NewIntel("competitor", "Acme", "cut list price 20% in EMEA")
    assert parse_intel(GLOBEX) == NewIntel("customer", "Globex Corp", "wants SSO before renewal")
    assert parse_intel("market: buyers are delaying") == NewIntel(
        "market", None, "buyers are delaying"
    )
    assert parse_intel("Prospect:Initech &lt;3 us").text == "<3 us"


def test_free_text_may_hold_a_stray_quote() -> None:
    """Only the first word is grammar: a quote left open in the text is kept as typed."""
    post = parse_intel('competitor:<https://acme.com|Acme Inc> CEO said "we match any price')
    assert post.subject == "Acme Inc (https://acme.com)"
    assert post.text == 'CEO said "we match any price'
    quoted = parse_intel('customer:"Globex Corp" said “no SSO, no renewal')
    assert (quoted.subject, quoted.text) == ("Globex Corp", "said “no SSO, no renewal")


def test_fts5_query_quotes_every_word() -> None:
    """Each search word becomes a quoted FTS5 phrase; punctuation-only words are dropped."""
    assert fts5_query(["price", 'a"b', "OR", "NEAR(x", "-", "*"]) == '"price" "a""b" "OR" "NEAR(x"'


async def search(slack: SignedSlack, words: str, *, team: str = "T1") -> str:
    response = await slack.command("/intel", f"search {words}", team=team)
    assert response.status_code == 200
    check_blocks(response.json()["blocks"])
    return reply_text(response)


async def test_post_then_search(slack: SignedSlack) -> None:
    """A search finds the post that has the word and not the one that lacks it."""
    first = await slack.command("/intel", ACME)
    assert first.headers["content-type"].startswith("text/plain")
    assert "Saved competitor intel about *Acme*" in first.text
    assert "Saved customer intel" in (await slack.command("/intel", GLOBEX)).text
    found = await search(slack, "price")
    assert "1 post matching" in found
    assert "*Competitor · Acme*" in found and "cut list price 20% in EMEA" in found
    assert "<@U1>" in found
    assert "Globex" not in found
    assert "*Customer · Globex Corp*" in await search(slack, "globex sso")


async def test_newest_first_and_stemmed(slack: SignedSlack) -> None:
    """Matches come newest first, and a word matches its other forms."""
    await slack.command("/intel", "competitor:Acme prices dropped again")
    await slack.command("/intel", "market: buyers compare every price")
    found = await search(slack, "price")
    assert "2 posts matching" in found
    assert found.index("*Market*") < found.index("*Competitor · Acme*")


@pytest.mark.parametrize("text", ["rumor:x price war", "price war everywhere", "competitor:Acme"])
async def test_bad_input_changes_nothing(slack: SignedSlack, text: str) -> None:
    """Unknown kinds, a missing kind or missing text get the kinds back and store nothing."""
    reply = reply_text(await slack.command("/intel", text))
    assert "`competitor:`, `customer:`, `prospect:`, `market:`" in reply
    assert "No field intel matches" in await search(slack, "price acme")


async def test_workspaces_are_apart(slack: SignedSlack) -> None:
    """One workspace's intel never turns up in another's search."""
    await slack.command("/intel", ACME, team="T1")
    assert "No field intel matches" in await search(slack, "price", team="T2")
    assert "1 post matching" in await search(slack, "price", team="T1")


async def test_mentions_are_shown_as_text(slack: SignedSlack) -> None:
    """Mentions in a post come back as plain text, never as live mentions."""
    raw = "competitor:Acme <!channel> <!here> <@U999|bob> &lt;!everyone&gt; price cut"
    await slack.command("/intel", raw, user="U1")
    found = await search(slack, "price")
    assert "@channel @here @bob &lt;!everyone&gt; price cut" in found
    for live in ("<!channel>", "<!here>", "<!everyone>", "<@U999"):
        assert live not in found


async def test_search_input_is_never_syntax(slack: SignedSlack) -> None:
    """Search words that look like query syntax are just words."""
    await slack.command("/intel", ACME)
    assert "No field intel matches" in await search(slack, 'NEAR( "OR price* AND')
    assert "No field intel matches “&lt;b&gt;”" in await search(slack, "&lt;b&gt;")
    reply = reply_text(await slack.command("/intel", "search !!"))
    assert "What should I look for?" in reply and "/intel search WORDS" in reply


async def test_search_shows_one_page(slack: SignedSlack, engine: Engine) -> None:
    """A search with many matches shows the newest 20 and says there may be more."""
    with session_scope(engine) as session:
        for minute in range(25):
            add_intel(
                session=session,
                subject=f"Acme{minute}",
                text="cut prices",
                at=T0 + timedelta(minutes=minute),
            )
    found = await search(slack, "cut")
    assert "20 posts matching" in found and "Showing the newest 20" in found
    assert "Acme24" in found and "Acme5*" in found and "Acme4*" not in found


async def test_help(slack: SignedSlack) -> None:
    """`/intel help` shows the usage."""
    assert "/intel KIND:SUBJECT" in reply_text(await slack.command("/intel", "help"))


def submission(values: dict[str, Any], *, metadata: dict[str, str], **options: Any) -> Payload:
    return view_submission(FORM_ID, values, metadata=json.dumps(metadata), **options)


def form_values(kind: str, subject: str | None, text: str) -> dict[str, Any]:
    values: dict[str, Any] = {
        "kind": selected(kind),
        "text": text_value(text),
    }
    if subject is not None:
        values["subject"] = text_value(subject)
    return values


async def test_modal_stores_the_same_post(slack: SignedSlack, slack_api: FakeSlack) -> None:
    """`/intel` alone opens the form, and submitting it stores a post."""
    assert (await slack.command("/intel", "", channel="C5")).status_code == 200
    (opened,) = slack_api.sent("views.open")
    check_view(opened["view"])
    assert opened["view"]["callback_id"] == FORM_ID
    metadata = json.loads(opened["view"]["private_metadata"])
    assert metadata == {"channel_id": "C5"}
    values = form_values("competitor", "Acme", "cut list price 20% in EMEA")
    response = await slack.interaction(submission(values, metadata=metadata))
    assert response.json()["response_action"] == "update"
    check_view(response.json()["view"])
    assert "*Competitor · Acme*" in await search(slack, "price")
    assert slack_api.sent("chat.getPermalink") == []


async def test_modal_errors_name_the_field(slack: SignedSlack) -> None:
    """A competitor post without a subject is refused next to the subject field."""
    values = form_values("competitor", None, "cut list price")
    response = await slack.interaction(submission(values, metadata={"channel_id": "C1"}))
    assert response.json() == {
        "response_action": "errors",
        "errors": {"subject": response.json()["errors"]["subject"]},
    }
    assert "No field intel matches" in await search(slack, "price")


def message_shortcut(text: str) -> dict[str, Any]:
    return {
        "type": "message_action",
        "callback_id": "save_as_intel",
        "trigger_id": "9.9.9",
        "token": "legacy",
        "action_ts": "1700000100.000001",
        "team": {"id": "T1", "domain": "t"},
        "user": {"id": "U2", "name": "u2", "team_id": "T1"},
        "channel": {"id": "C7", "name": "field"},
        "message_ts": "1700000001.000100",
        "message": {
            "type": "message",
            "user": "UAUTHOR",
            "ts": "1700000001.000100",
            "text": text,
        },
        "response_url": "https://hooks.slack.invalid/actions/1",
    }


async def test_shortcut_saves_the_message(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """The shortcut's form is prefilled; submitting it twice stores one post with its link."""
    text = "Acme &amp; co cut list price 20% &lt;3 <@U5|sam> <!here>"
    assert (await slack.interaction(message_shortcut(text))).status_code == 200
    (opened,) = slack_api.sent("views.open")
    view = opened["view"]
    check_view(view)
    assert opened["trigger_id"] == "9.9.9"
    field = next(b for b in view["blocks"] if b["block_id"] == "text")
    assert field["element"]["initial_value"] == "Acme & co cut list price 20% <3 @sam @here"
    metadata = json.loads(view["private_metadata"])
    values = form_values("competitor", "Acme", field["element"]["initial_value"])
    for _ in range(2):
        payload = submission(values, metadata=metadata, view_id="VSHORT", user="U2")
        response = await slack.interaction(payload)
        assert response.json()["response_action"] == "update"
        assert "with a link to the message" in reply_text_of_view(response.json()["view"])
    (asked, *_) = slack_api.sent("chat.getPermalink")
    assert (asked["channel"], asked["message_ts"]) == ("C7", "1700000001.000100")
    found = await search(slack, "price")
    assert "1 post matching" in found
    assert "<https://example.slack.com/archives/C7/p1700000001000100|original message>" in found
    assert "<@UAUTHOR>" in found and "&lt;3" in found and "<!here>" not in found
    with Session(engine) as session:
        (post,) = session.scalars(select(IntelPost)).all()
    assert (post.author_id, post.posted_by, post.channel_id) == ("UAUTHOR", "U2", "C7")


async def test_shortcut_without_a_permalink(slack: SignedSlack, slack_api: FakeSlack) -> None:
    """When Slack will not give the message's link, the post is still stored without it."""
    slack_api.fail("chat.getPermalink", 404)
    metadata = {"channel_id": "C7", "message_ts": "1700000001.000100", "author_id": "UAUTHOR"}
    values = form_values("market", None, "buyers push price talks to Q4")
    response = await slack.interaction(submission(values, metadata=metadata))
    assert response.json()["response_action"] == "update"
    found = await search(slack, "price")
    assert "1 post matching" in found and "original message" not in found


def reply_text_of_view(view: dict[str, Any]) -> str:
    return "\n".join(block["text"]["text"] for block in view["blocks"] if "text" in block)


def test_aggregations(engine: Engine) -> None:
    """Counts by kind and by competitor cover one workspace and one period only."""
    hour, day = timedelta(hours=1), timedelta(days=1)
    with session_scope(engine) as session:
        post = partial(add_intel, session=session)
        post(subject="Acme", author="U1", at=T0)
        post(subject="ACME", author="U2", at=T0 + hour)
        post(subject="acme", author="U2", at=T0 + 2 * hour)
        post(subject="Initech", author="U3", at=T0 + 3 * hour)
        post(kind="customer", subject="Globex", at=T0)
        post(kind="market", subject=None, at=T0)
        post(subject="Initech", at=T0 - day)  # before the period
        post(subject="Initech", at=T0 + day)  # at its end: excluded
        post(subject="Initech", team_id="T2", at=T0)
    period: dict[str, Any] = {"team_id": "T1", "since": T0, "until": T0 + timedelta(days=1)}
    with Session(engine) as session:
        assert intel_by_kind(session=session, **period) == {
            "competitor": 4,
            "customer": 1,
            "market": 1,
        }
        acme, initech = intel_by_competitor(session=session, **period)
        assert (acme.count, acme.authors) == (3, ("U2", "U1"))
        assert acme.name.casefold() == "acme"
        assert (initech.name, initech.count, initech.authors) == ("Initech", 1, ("U3",))
        assert len(intel_by_competitor(session=session, **period, limit=1)) == 1
        latest = recent_intel(session=session, **period, limit=2)
        assert [p.subject for p in latest] == ["Initech", "acme"]
        assert intel_by_kind(session=session, team_id="T3", since=T0, until=T0) == {}


def test_search_is_scoped_and_limited(engine: Engine) -> None:
    """Search covers subject and text, one workspace, newest first, up to the limit."""
    with session_scope(engine) as session:
        post = partial(add_intel, session=session)
        for hour in range(3):
            post(subject=f"Acme{hour}", text="price war", at=T0 + timedelta(hours=hour))
        post(subject="Globex", text="renewal", team_id="T1", at=T0)
        post(text="price war", team_id="T2", at=T0)
    with Session(engine) as session:
        found = search_intel(session=session, team_id="T1", words=["price"], limit=2)
        assert [p.subject for p in found] == ["Acme2", "Acme1"]
        assert [p.text for p in search_intel(session=session, team_id="T1", words=["globex"])] == [
            "renewal"
        ]
        assert search_intel(session=session, team_id="T1", words=["-"]) == []


def test_search_uses_the_text_index(engine: Engine) -> None:
    """The search is answered from the database's full-text index, not by reading every post."""
    postgres = engine.dialect.name == "postgresql"
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        statements.append((statement, params))

    if postgres:
        with engine.begin() as connection:
            # Enough rows that one rare word is cheaper to find through the index than by team.
            connection.exec_driver_sql(
                "INSERT INTO intel_post (team_id, kind, text, author_id, posted_by, created_at) "
                "SELECT 'T1', 'market', 'filler number ' || g, 'U1', 'U1', %(at)s "
                "FROM generate_series(1, 3000) AS g",
                {"at": T0},
            )
            connection.exec_driver_sql("ANALYZE intel_post")
    with engine.connect() as connection:
        event.listen(connection, "before_cursor_execute", capture)
        search_intel(session=Session(bind=connection), team_id="T1", words=["price"])
        event.remove(connection, "before_cursor_execute", capture)
        statement, params = statements[-1]
        explain = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
        plan = [str(row[-1]) for row in connection.exec_driver_sql(explain + statement, params)]
    wanted = "Bitmap Index Scan on ix_intel_post_fts" if postgres else "intel_fts VIRTUAL TABLE"
    assert any(wanted in line for line in plan), plan
