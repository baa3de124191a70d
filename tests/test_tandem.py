"""`/tandem export` and `/tandem forget` through signed requests and the fake Slack, on SQLite
and PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from core.blocks import FORMER_LABEL, user
from handlers.tandem import FORGET_CANCEL, FORGET_CONFIRM
from handlers.tandem.parse import TandemError, parse_export, parse_forget
from scheduler.agenda import build_agenda
from storage.db import Database, session_scope
from storage.erasure import FORMER_MEMBER
from storage.export import KINDS, export_rows, write_csv
from tests.clock import NOW
from tests.factories import (
    add_collateral,
    add_intel,
    add_rating,
    add_result,
    add_term,
    add_vote,
    make_cadence,
)
from tests.fake_slack import FakeSlack
from tests.forms import block_action
from tests.slack_client import SignedSlack, reply_text

FORMULA = "=cmd|' /C calc'!A0"
COLUMNS = {
    "lead-ratings": [
        "lead",
        "rated_by",
        "score",
        "campaign",
        "segment",
        "budget",
        "authority",
        "need",
        "timing",
        "reason",
        "rated_at",
    ],
    "handoffs": [
        "id",
        "lead",
        "name",
        "company",
        "email",
        "campaign",
        "segment",
        "marketing_score",
        "crm_url",
        "notes",
        "channel",
        "sla_minutes",
        "received_at",
        "due_at",
        "status",
        "decided_by",
        "decided_at",
        "accept_seconds",
        "rejection_reason",
        "unmet",
    ],
    "intel": [
        "id",
        "kind",
        "subject",
        "text",
        "author",
        "posted_by",
        "channel",
        "permalink",
        "created_at",
    ],
    "deals": [
        "deal",
        "outcome",
        "competitor",
        "amount",
        "currency",
        "campaign",
        "reason",
        "reported_by",
        "reported_at",
    ],
    "collateral": [
        "id",
        "title",
        "url",
        "tags",
        "shared_by",
        "channel",
        "created_at",
        "votes_helpful",
        "votes_not_helpful",
        "votes_used",
    ],
    "glossary": ["term", "definition", "updated_by", "updated_at"],
    "cadences": [
        "meeting",
        "channel",
        "day_rule",
        "time",
        "time_zone",
        "agenda_minutes_before",
        "months",
        "active",
        "set_by",
        "updated_at",
    ],
}
STAMP = f"{NOW:%Y-%m-%dT%H:%M:%S}Z"
LATER = NOW + timedelta(hours=1)


# Parsing


def test_parse_export_and_forget() -> None:
    """`export [days:N]` and `forget @user` read into values; anything else is refused."""
    assert parse_export("").days is None
    assert parse_export("days:30").days == 30
    assert parse_forget("<@U024BE7LH|ann>") == "U024BE7LH"
    for text in ("days:0", "days:soon", "days:3651", "everything"):
        with pytest.raises(TandemError):
            parse_export(text)
    for text in ("", "ann", "@ann", "<@U1> <@U2>", "<@U1> and more", "<#C1|sales>"):
        with pytest.raises(TandemError):
            parse_forget(text)


@pytest.mark.parametrize(
    ("reason", "shown"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+1 more", "'+1 more"),
        ("-budget gone", "'-budget gone"),
        ("@here look", "'@here look"),
        ("\t=1", "'\t=1"),
        ("plain = text", "plain = text"),
        ("", ""),
    ],
)
def test_cells_never_run_as_formulas(engine: Engine, reason: str, shown: str) -> None:
    """Text a spreadsheet would run gets a leading '; times are ISO 8601 UTC, booleans words,
    a missing value empty."""
    later = NOW + timedelta(hours=1, microseconds=5)
    criteria = {"budget": True, "need": False}
    with session_scope(engine) as s:
        add_rating(session=s, score=4, criteria=criteria, reason=reason, at=later)
    with Session(engine) as session:
        (batch,) = export_rows(session=session, kind=KINDS[0], team_id="T1")
    (row,) = batch
    assert list(row) == [
        *("ACME-42", "U1", 4, None, None, "true", None, "false", None, shown),
        "2026-11-16T13:00:00Z",
    ]
    out = io.BytesIO()  # and so the file has it (written by PostgreSQL itself there)
    with Session(engine) as session:
        assert write_csv(session=session, kind=KINDS[0], team_id="T1", since=None, out=out) == 1
    (line,) = csv.reader(io.StringIO(out.getvalue().decode(), newline=""))
    assert line == [str(value) if value is not None else "" for value in row]


# Export


def seed(engine: Engine) -> int:
    """One record of every kind in T1 (a formula-like rating reason among them), one in T2;
    the collateral item's id."""
    with session_scope(engine) as s:
        add_rating(session=s, user_id="U2", score=2, campaign="Q3 webinar", reason=FORMULA, at=NOW)
        add_rating(session=s, lead="OLD-1", user_id="U2", at=NOW - timedelta(days=60))
        add_intel(session=s, author="U2", text="Acme cut list price 20% in EMEA", at=NOW)
        add_result(
            session=s,
            outcome="loss",
            competitor="Acme",
            amount=Decimal("48000"),
            currency="USD",
            reason="price was 30% higher",
            user_id="U2",
            at=NOW,
        )
        item = add_collateral(session=s, user_id="U3", at=NOW)
        add_vote(session=s, collateral_id=item, user_id="U2", vote="helpful", at=NOW)
        add_vote(session=s, collateral_id=item, user_id="U4", vote="used", at=NOW)
        add_term(session=s, user_id="U2", definition="Marketing qualified lead", at=NOW)
        make_cadence(session=s, now=NOW)
        add_rating(session=s, team_id="T2", lead="SECRET-1", user_id="U9", at=NOW)
    return item


async def exported(slack_api: FakeSlack) -> tuple[dict[str, Any], dict[str, list[list[str]]]]:
    """The completed upload's parameters and each CSV file's rows, by kind."""
    (completed,) = await slack_api.sent_soon("files.completeUploadExternal")
    files = {}
    for name, body in slack_api.uploaded().items():
        kind = name.removeprefix("tandem-").rsplit("-", 3)[0]
        files[kind] = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    return completed, files


async def test_admin_gets_seven_csv_files_by_dm(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """An admin's export arrives in their DM as seven CSVs with headers, UTC times, one row per
    record of this workspace only, and a formula-like value as text."""
    item = seed(engine)
    slack_api.add_user("UADMIN", admin=True)
    response = await slack.command("/tandem", "export", user="UADMIN")
    assert "direct message" in reply_text(response)

    completed, files = await exported(slack_api)
    (opened,) = slack_api.sent("conversations.open")
    assert opened["users"] == "UADMIN"
    assert completed["channel_id"] == "DUADMIN"
    titles = [f["title"] for f in completed["files"]]
    assert len(titles) == 7 and all(t.endswith("-2026-11-16.csv") for t in titles)
    assert {kind: rows[0] for kind, rows in files.items()} == COLUMNS

    header, *rows = files["lead-ratings"]
    ratings = [dict(zip(header, row, strict=True)) for row in rows]
    assert [r["lead"] for r in ratings] == ["ACME-42", "OLD-1"]  # not T2's SECRET-1
    assert ratings[0]["reason"] == "'" + FORMULA
    assert ratings[0]["rated_at"] == STAMP and ratings[0]["score"] == "2"
    assert files["intel"][1][3:5] == ["Acme cut list price 20% in EMEA", "U2"]
    assert files["deals"][1][:5] == ["DEAL-7", "loss", "Acme", "48000.00", "USD"]
    assert files["collateral"][1][0] == str(item)
    assert files["collateral"][1][-3:] == ["1", "0", "1"]
    assert files["glossary"][1] == ["MQL", "Marketing qualified lead", "U2", STAMP]
    assert files["cadences"][1][:3] == ["monthly", "C1", "first-tue"]
    assert files["handoffs"] == [COLUMNS["handoffs"]]
    assert "lead ratings: 2" in completed["initial_comment"]


async def test_days_keeps_to_recent_records(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """`days:30` leaves out records older than 30 days; a team lead may export."""
    seed(engine)
    await slack.command("/tandem", "export days:30", user="ULEAD")
    _, files = await exported(slack_api)
    assert [row[0] for row in files["lead-ratings"][1:]] == ["ACME-42"]
    assert len(files["cadences"]) == 2  # how meetings are set up: always all


async def test_a_failed_export_is_explained(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """When Slack refuses the upload, the asker gets a DM saying so instead of the files."""
    seed(engine)
    slack_api.fail("files.getUploadURLExternal", 403)
    await slack.command("/tandem", "export", user="ULEAD")
    (told,) = await slack_api.sent_soon("chat.postMessage")
    assert told["channel"] == "ULEAD" and "could not make or send your export" in told["text"]
    assert slack_api.sent("files.completeUploadExternal") == []


async def test_a_rep_is_refused(slack: SignedSlack, slack_api: FakeSlack, engine: Engine) -> None:
    """A rep asking for an export is told who can, and nothing is sent."""
    seed(engine)
    slack_api.add_user("U1")
    response = await slack.command("/tandem", "export", user="U1")
    assert "Only team leads, workspace admins and owners" in reply_text(response)
    await asyncio.sleep(0.3)
    assert slack_api.sent("files.getUploadURLExternal") == []
    assert slack_api.sent("conversations.open") == []


async def test_bad_days_shows_the_usage(slack: SignedSlack, slack_api: FakeSlack) -> None:
    """A wrong `days:` is explained with the usage, and nothing is exported."""
    response = await slack.command("/tandem", "export days:never", user="ULEAD")
    assert "days: takes a whole number" in reply_text(response)
    assert "/tandem export [days:N]" in reply_text(response)
    assert slack_api.sent("conversations.open") == []


async def test_help_lists_export_and_forget(slack: SignedSlack) -> None:
    """`/tandem help` (and `/tandem` alone) list both verbs."""
    for text in ("help", ""):
        shown = reply_text(await slack.command("/tandem", text))
        assert "/tandem export [days:N]" in shown and "/tandem forget @name" in shown


# Forget


def forget_click(action: str, *, user: str, value: str = "U2") -> dict[str, Any]:
    return block_action(action, value, channel="C1", message_ts="1700000000.000001", user=user)


async def lead_stats(slack: SignedSlack) -> str:
    return reply_text(await slack.command("/lead", "stats"))


async def test_forget_deletes_ratings_and_votes_and_keeps_intel(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine, db: Database
) -> None:
    """After an admin confirms, the person's ratings and votes are gone from /lead stats and
    collateral counts; their intel, deal and term stay, by "a former member"."""
    seed(engine)
    slack_api.add_user("UADMIN", admin=True)
    await slack.command("/lead", "ACME-42 4 campaign:web fine lead", user="U5")
    assert "2 ratings" in await lead_stats(slack)
    assert "1 helpful" in reply_text(await slack.command("/collateral", "find hotel"))

    asked = (await slack.command("/tandem", "forget <@U2|bob>", user="UADMIN")).json()
    buttons = asked["blocks"][-1]["elements"]
    assert [b["action_id"] for b in buttons] == [FORGET_CONFIRM, FORGET_CANCEL]
    assert "2 ratings" in await lead_stats(slack)  # nothing happens before the confirmation

    await slack.interaction(forget_click(FORGET_CONFIRM, user="UADMIN"))
    (told,) = slack_api.sent("chat.postEphemeral")
    assert told["user"] == "UADMIN"
    assert "deleted 2 lead ratings and 1 collateral vote; 3 records kept" in told["text"]

    assert "1 rating, average *4.0*/5" in await lead_stats(slack)
    found = reply_text(await slack.command("/collateral", "find hotel"))
    assert "0 helpful" in found and "1 used in a deal" in found
    intel = reply_text(await slack.command("/intel", "search Acme"))
    assert FORMER_LABEL in intel and "<@U2>" not in intel

    cadence = make_cadence(now=NOW)
    with session_scope(engine) as session:
        agenda = build_agenda(
            session=session, cadence=cadence, occurrence=NOW + timedelta(days=1), now=LATER
        )
    detail = json.dumps([agenda.blocks, *agenda.thread])
    assert FORMER_LABEL in detail and "<@U2>" not in detail

    await slack.command("/tandem", "export", user="UADMIN")
    _, files = await exported(slack_api)
    assert files["intel"][1][4] == FORMER_MEMBER and files["deals"][1][7] == FORMER_MEMBER
    assert files["glossary"][1][2] == FORMER_MEMBER
    assert [row[1] for row in files["lead-ratings"][1:]] == ["U5"]


async def test_only_admins_forget(slack: SignedSlack, slack_api: FakeSlack, engine: Engine) -> None:
    """A team lead or rep may not ask, nor confirm; cancelling forgets nothing."""
    seed(engine)
    slack_api.add_user("ULEAD")
    slack_api.add_user("UOWNER", owner=True)
    refused = reply_text(await slack.command("/tandem", "forget <@U2>", user="ULEAD"))
    assert "Only workspace admins and owners" in refused

    await slack.interaction(forget_click(FORGET_CONFIRM, user="ULEAD"))
    await slack.interaction(forget_click(FORGET_CANCEL, user="UOWNER"))
    told = [m["text"] for m in slack_api.sent("chat.postEphemeral")]
    assert "Only workspace admins and owners" in told[0] and "Nothing was forgotten" in told[1]
    assert "1 rating, average *2.0*/5" in await lead_stats(slack)  # U2's rating is still there

    wrong = reply_text(await slack.command("/tandem", "forget bob", user="UOWNER"))
    assert "Name one person to forget" in wrong


def test_a_former_member_is_never_a_mention() -> None:
    """The sentinel is no Slack id: views show it as words, never as a mention."""
    assert user(FORMER_MEMBER) == FORMER_LABEL
    assert user("U2") == "<@U2>"
