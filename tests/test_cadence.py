"""`/cadence` through signed requests, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from time import monotonic
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from core.meetings import QUARTERLY, DayRule, agenda_due
from handlers.cadence import FORM as FORM_ID
from handlers.cadence.parse import CadenceRequest, parse_set
from handlers.cadence.views import USAGE, preview_blocks
from handlers.cadence.words import upcoming_lines
from scheduler.agenda import Agenda, AgendaFile
from storage.models import Cadence
from tests.clock import SetClock
from tests.factories import make_cadence
from tests.fake_slack import DROP, FakeSlack
from tests.forms import (
    Payload,
    check_blocks,
    check_view,
    selected,
    text_value,
    view_submission,
)
from tests.slack_client import SignedSlack, reply_text

NEW_YORK = ZoneInfo("America/New_York")
EXAMPLE = "set monthly first-tue 10:00 America/New_York agenda:2d"
NOTE = (
    "<@ULEAD> set the monthly field-intel meeting: first Tuesday of each month at 10:00 "
    "America/New_York; the agenda comes 2 days before."
)


def test_parse_example() -> None:
    """The SPEC example parses into its parts, with months every month."""
    assert parse_set("monthly first-tue 10:00 America/New_York agenda:2d") == CadenceRequest(
        kind="monthly",
        rule=DayRule(ordinal=1, weekday=1, day=None),
        at=time(10),
        zone="America/New_York",
        agenda_lead=timedelta(days=2),
        months=tuple(range(1, 13)),
    )


def test_parse_defaults_and_quarterly_months() -> None:
    """Without a zone or `agenda:` the zone is left to the user and the agenda comes a day early."""
    plain = parse_set("Quarterly second-mon 9:00")
    assert (plain.kind, plain.zone, plain.agenda_lead, plain.months) == (
        "quarterly",
        None,
        timedelta(days=1),
        QUARTERLY,
    )
    moved = parse_set("quarterly last-fri 16:30 europe/berlin months:11,2,8,5 agenda:6h")
    assert (moved.zone, moved.months, moved.agenda_lead) == (
        "Europe/Berlin",
        (2, 5, 8, 11),
        timedelta(hours=6),
    )


def test_agenda_days_keep_the_wall_clock() -> None:
    """`agenda:2d` before a meeting just after a DST change is at the meeting's local time."""
    # New York springs forward on Sunday 14 March 2027: 48 hours before is 09:00 EST.
    meeting = datetime(2027, 3, 15, 10, tzinfo=NEW_YORK).astimezone(UTC)
    due = agenda_due(meeting, lead=timedelta(days=2), zone="America/New_York")
    assert due.astimezone(NEW_YORK).replace(tzinfo=None) == datetime(2027, 3, 13, 10)
    hours = agenda_due(meeting, lead=timedelta(hours=6), zone="America/New_York")
    assert meeting - hours == timedelta(hours=6)


def first_tuesdays_at_ten(after: datetime, count: int) -> list[datetime]:
    """Independently: the first Tuesdays at 10:00 New York time after `after`."""
    found: list[datetime] = []
    month = after.astimezone(NEW_YORK).date().replace(day=1) - timedelta(days=31)
    while len(found) < count:
        month = (month + timedelta(days=32)).replace(day=1)
        tuesday = month + timedelta(days=(1 - month.weekday()) % 7)
        start = datetime.combine(tuesday, time(10), tzinfo=NEW_YORK)
        if start > after:
            found.append(start)
    return found


def shown(local: datetime) -> str:
    return f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M %Z}"


def cadences(engine: Engine) -> list[tuple[Any, ...]]:
    with Session(engine) as session:
        rows = session.scalars(select(Cadence).order_by(Cadence.team_id, Cadence.kind)).all()
        return [
            (
                c.team_id,
                c.kind,
                c.channel_id,
                c.day_rule,
                c.at_time,
                c.zone,
                c.agenda_lead_minutes,
                c.months,
                c.active,
            )
            for c in rows
        ]


async def test_lead_sets_monthly(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine, clock: SetClock
) -> None:
    """A lead's `set` is stored, confirmed with the next three first Tuesdays, and noted."""
    before = clock.now
    response = await slack.command("/cadence", EXAMPLE, user="ULEAD", channel="C9")
    assert response.status_code == 200
    receipt = reply_text(response)
    for start in first_tuesdays_at_ten(before, 3):
        assert start.weekday() == 1 and start.day <= 7
        agenda = start - timedelta(days=2)  # a Sunday, 10:00 on the meeting's wall clock
        assert f"• {shown(start)} (agenda {shown(agenda)})" in receipt
    assert "<#C9>" in receipt and "2 days before" in receipt
    assert [(m["channel"], m["text"]) for m in slack_api.sent("chat.postMessage")] == [("C9", NOTE)]
    assert cadences(engine) == [
        (
            "T1",
            "monthly",
            "C9",
            "first-tue",
            "10:00",
            "America/New_York",
            2880,
            "1,2,3,4,5,6,7,8,9,10,11,12",
            True,
        )
    ]


async def test_non_lead_is_refused(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """Someone neither a lead nor an admin or owner is refused, and nothing changes."""
    slack_api.add_user("U2")
    for text in (EXAMPLE, "off monthly", ""):
        response = await slack.command("/cadence", text, user="U2")
        assert "Only workspace admins and owners" in reply_text(response)
    assert cadences(engine) == []
    assert slack_api.sent("chat.postMessage") == [] and slack_api.sent("views.open") == []


async def test_unknown_user_is_not_let_in(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """When Slack cannot say who is asking, a non-lead changes nothing."""
    response = await slack.command("/cadence", EXAMPLE, user="UNKNOWN")
    assert "could not check your role" in reply_text(response)
    assert cadences(engine) == [] and slack_api.sent("chat.postMessage") == []


@pytest.mark.parametrize("role", [{"admin": True}, {"owner": True}])
async def test_admins_and_owners_may_set(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine, role: dict[str, bool]
) -> None:
    """Workspace admins and owners may set the quarterly meeting, and it meets in its months."""
    slack_api.add_user("UADM", **role)
    text = "set quarterly second-mon 09:00 Europe/Berlin"
    response = await slack.command("/cadence", text, user="UADM", channel="C7")
    assert response.text.startswith("Set: the *quarterly planning meeting*")
    assert "second Monday of January, April, July and October at 09:00" in response.text
    assert [row[1:9] for row in cadences(engine)] == [
        ("quarterly", "C7", "second-mon", "09:00", "Europe/Berlin", 1440, "1,4,7,10", True)
    ]


async def test_zone_defaults_to_the_users(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """Without a zone the setter's Slack time zone is used."""
    slack_api.add_user("ULEAD", tz="Asia/Tokyo")
    response = await slack.command("/cadence", "set monthly day-15 08:00", user="ULEAD")
    assert "the 15th of each month at 08:00 Asia/Tokyo" in response.text
    assert ", 08:00 JST (agenda " in response.text
    assert cadences(engine)[0][5] == "Asia/Tokyo"


async def test_no_zone_anywhere_asks_for_one(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """A lead whose Slack time zone is unknown is asked to give one, and nothing is stored."""
    response = await slack.command("/cadence", "set monthly first-tue 10:00", user="ULEAD")
    assert "could not find your time zone" in reply_text(response)
    assert cadences(engine) == [] and slack_api.sent("chat.postMessage") == []


@pytest.mark.parametrize(
    "text",
    [
        "set monthly first-tux 10:00 UTC",
        "set monthly first-tue 25:00 UTC",
        "set monthly first-tue 10:00 Mars/Olympus",
        "set monthly first-tue 10:00 UTC agenda:5w",
        "set quarterly first-tue 10:00 UTC months:2,5,8",
        "set fortnightly first-tue 10:00 UTC",
        "set monthly first-tue 10:00 UTC months:2,5,8,11",
        "off weekly",
        "monthly first-tue 10:00 UTC",
    ],
)
async def test_bad_input_changes_nothing(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine, text: str
) -> None:
    """Bad input gets the problem and the usage; the cadence and the channel are untouched."""
    await slack.command("/cadence", EXAMPLE, user="ULEAD", channel="C9")
    stored, posted = cadences(engine), len(slack_api.sent("chat.postMessage"))
    response = await slack.command("/cadence", text, user="ULEAD", channel="C2")
    assert USAGE in reply_text(response)
    assert cadences(engine) == stored
    assert len(slack_api.sent("chat.postMessage")) == posted


async def test_setting_again_replaces(slack: SignedSlack, engine: Engine) -> None:
    """Setting a meeting again moves it, keeping one row per kind."""
    await slack.command("/cadence", EXAMPLE, user="ULEAD", channel="C9")
    await slack.command("/cadence", "set monthly last-fri 15:00 UTC", user="ULEAD", channel="C3")
    assert [row[1:6] for row in cadences(engine)] == [("monthly", "C3", "last-fri", "15:00", "UTC")]


async def test_off(slack: SignedSlack, slack_api: FakeSlack, engine: Engine) -> None:
    """`off` stops the meeting, tells its channel once, and a second `off` finds nothing to stop."""
    await slack.command("/cadence", EXAMPLE, user="ULEAD", channel="C9")
    response = await slack.command("/cadence", "off monthly", user="ULEAD", channel="C1")
    assert "Turned off the *monthly field-intel meeting* in <#C9>" in reply_text(response)
    assert cadences(engine)[0][8] is False
    last = slack_api.sent("chat.postMessage")[-1]
    assert last["channel"] == "C9"
    assert last["text"] == (
        "<@ULEAD> turned off the monthly field-intel meeting: no more agendas or reminders here."
    )
    again = await slack.command("/cadence", "off monthly", user="ULEAD")
    assert "nothing to turn off" in reply_text(again)
    assert len(slack_api.sent("chat.postMessage")) == 2
    assert "No meetings are set" in reply_text(await slack.command("/cadence", "list"))


async def test_list_and_next_for_everyone(
    slack: SignedSlack, slack_api: FakeSlack, clock: SetClock
) -> None:
    """Anyone can list the workspace's meetings and their next dates; other workspaces see none."""
    await slack.command("/cadence", EXAMPLE, user="ULEAD", channel="C9")
    await slack.command(
        "/cadence", "set quarterly second-mon 09:00 Europe/Berlin agenda:6h", user="ULEAD"
    )
    slack_api.add_user("U2")
    listing = await slack.command("/cadence", "list", user="U2")
    check_blocks(listing.json()["blocks"])
    text = reply_text(listing)
    assert "*Monthly field-intel meeting* in <#C9>" in text
    assert "first Tuesday of each month at 10:00 America/New_York (`first-tue`)" in text
    assert "agenda 2 days before" in text and "agenda 6 hours before" in text
    upcoming = await slack.command("/cadence", "next", user="U2")
    check_blocks(upcoming.json()["blocks"])
    start = first_tuesdays_at_ten(clock.now, 1)[0]
    assert f"• {shown(start)} (agenda {shown(start - timedelta(days=2))})" in reply_text(upcoming)
    assert "*Quarterly planning meeting* in <#C1>" in reply_text(upcoming)
    elsewhere = await slack.command("/cadence", "next", user="U2", team="T2")
    assert "No meetings are set" in reply_text(elsewhere)


async def test_preview(slack: SignedSlack, slack_api: FakeSlack, clock: SetClock) -> None:
    """`preview` shows the agenda as valid blocks, with the default schedule when none is set."""
    slack_api.add_user("U2", tz="Europe/Paris")
    unset = await slack.command("/cadence", "preview quarterly", user="U2")
    check_blocks(unset.json()["blocks"])
    assert "No quarterly planning meeting is set" in reply_text(unset)
    assert "10:00 Europe/Paris" in reply_text(unset)
    await slack.command("/cadence", EXAMPLE, user="ULEAD", channel="C9")
    response = await slack.command("/cadence", "preview monthly", user="U2")
    check_blocks(response.json()["blocks"])
    start = first_tuesdays_at_ten(clock.now, 1)[0]
    assert f"field-intel meeting on {shown(start)}" in reply_text(response)
    assert "is set" not in reply_text(response)
    # Only the note from `set` reached a channel: a preview is for the asker alone.
    assert [m["text"] for m in slack_api.sent("chat.postMessage")] == [NOTE]


async def test_help_and_unknown_words(slack: SignedSlack) -> None:
    """`help` shows the usage; an unknown word gets the usage too, hinting at `set`."""
    assert reply_text(await slack.command("/cadence", "help")) == USAGE
    response = await slack.command("/cadence", "fortnightly")
    assert USAGE in reply_text(response)


def form_submission(values: dict[str, dict[str, Any]], *, user: str = "ULEAD") -> Payload:
    return view_submission(FORM_ID, values, user=user, metadata="C5")


FORM = {
    "kind": selected("monthly"),
    "rule": text_value("first-tue"),
    "time": {"type": "timepicker", "selected_time": "10:00"},
    "zone": text_value("America/New_York"),
    "agenda": text_value("2d"),
}


async def test_form_opens_and_sets(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """`/cadence` alone opens the form, whose submission sets the meeting in the form's channel."""
    response = await slack.command("/cadence", "", user="ULEAD", channel="C5")
    assert response.status_code == 200
    (opened,) = slack_api.sent("views.open")
    check_view(opened["view"])
    assert opened["view"]["callback_id"] == FORM_ID
    assert opened["view"]["private_metadata"] == "C5"
    submitted = await slack.interaction(form_submission(FORM))
    answer = submitted.json()
    assert answer["response_action"] == "update"
    check_view(answer["view"])
    assert cadences(engine)[0][1:7] == (
        "monthly",
        "C5",
        "first-tue",
        "10:00",
        "America/New_York",
        2880,
    )
    (note,) = slack_api.sent("chat.postMessage")
    assert note["channel"] == "C5" and note["text"] == NOTE


@pytest.mark.parametrize(
    ("change", "user", "field"),
    [
        ({"rule": text_value("first-tux")}, "ULEAD", "rule"),
        ({"zone": text_value("Mars/Olympus")}, "ULEAD", "zone"),
        ({"months": text_value("1,2")}, "ULEAD", "months"),
        ({}, "U2", "kind"),
    ],
)
async def test_form_errors(
    slack: SignedSlack,
    slack_api: FakeSlack,
    engine: Engine,
    change: dict[str, Any],
    user: str,
    field: str,
) -> None:
    """A bad form, or one from someone not allowed, is refused next to a field; nothing changes."""
    slack_api.add_user("U2")
    answer = (await slack.interaction(form_submission({**FORM, **change}, user=user))).json()
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [field]
    assert cadences(engine) == [] and slack_api.sent("chat.postMessage") == []


def test_independent_dates_are_first_tuesdays() -> None:
    """The test's own date helper finds first Tuesdays (checked on a known month)."""
    after = datetime(2027, 1, 10, tzinfo=UTC)
    assert [d.date() for d in first_tuesdays_at_ten(after, 2)] == [
        date(2027, 2, 2),
        date(2027, 3, 2),
    ]


def test_agenda_already_due_is_said_so() -> None:
    """A meeting whose agenda time has passed shows the agenda as already due."""
    meeting = datetime(2027, 2, 2, 15, tzinfo=UTC)
    text = upcoming_lines(
        [meeting], lead=timedelta(days=2), zone="America/New_York", now=meeting - timedelta(days=1)
    )
    assert text == "• Tue 2 Feb 2027, 10:00 EST (agenda due since Sun 31 Jan 2027, 10:00 EST)"


def test_preview_keeps_within_one_message() -> None:
    """The preview adds thread replies while they fit in 50 blocks and says what was left out."""
    line = {"type": "section", "text": {"type": "mrkdwn", "text": "item"}}
    agenda = Agenda(
        text="Agenda",
        blocks=[line] * 15,
        thread=[[line] * 20, [line] * 20, [line] * 5],
        files=[AgendaFile(filename="lead-scores.png", title="Lead scores", content=b"")],
    )
    occurrence = datetime(2027, 2, 2, 10, tzinfo=UTC)
    cadence = make_cadence(zone="UTC", months=(1,), now=occurrence - timedelta(days=30))
    blocks = preview_blocks(
        cadence=cadence,
        occurrence=occurrence,
        agenda=agenda,
        default=False,
    )
    check_blocks(blocks)
    assert len(blocks) == 1 + 15 + 1 + 20 + 1
    assert blocks[-1]["elements"][0]["text"] == (
        "2 more thread replies left out; attached in the thread: lead-scores.png."
    )


async def test_slow_channel_note_does_not_hold_the_answer(
    slack: SignedSlack, slack_api: FakeSlack
) -> None:
    """A channel note Slack is slow to take is posted after the lead is answered, in time."""
    release = slack_api.hold("C9")
    started = monotonic()
    response = await slack.command("/cadence", EXAMPLE, user="ULEAD", channel="C9")
    assert monotonic() - started < 2.9
    assert "Set:" in reply_text(response)
    release.set()
    (note,) = await slack_api.sent_soon("chat.postMessage")
    assert note["channel"] == "C9"


async def test_unreachable_slack_leaves_the_role_unknown_in_time(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """When Slack keeps dropping users.info, the asker hears in time that it went unchecked."""
    slack_api.fail("users.info", DROP, times=10)
    started = monotonic()
    response = await slack.command("/cadence", EXAMPLE, user="UADMIN", channel="C9")
    assert monotonic() - started < 2.9
    assert "could not check your role" in reply_text(response)
    assert cadences(engine) == []
