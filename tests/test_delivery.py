"""Meeting reminders posted exactly once through the fake Slack, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Engine, select
from sqlmodel import Session

from bot.slack import async_web_client
from core.meetings import occurrences, schedule_of
from scheduler.agenda import Agenda, build_agenda, starting_now
from scheduler.delivery import Report, run_due
from scheduler.due import AGENDA, START
from storage.db import session_scope
from storage.models import Cadence, Delivery
from tests.factories import make_cadence
from tests.fake_slack import FakeSlack

# first-tue 10:00 America/New_York: Tuesday 3 March 2026, before the DST change, is 15:00Z.
MEETING = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
AGENDA_LEAD = timedelta(days=2)
AGENDA_AT = MEETING - AGENDA_LEAD
MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)
# When the cadence was set: after February's meeting, whose reminders it never owed.
SET_AT = datetime(2026, 2, 20, tzinfo=UTC)


def add_claim(
    engine: Engine,
    cadence: Cadence,
    *,
    lease_until: datetime,
    status: str = "claimed",
    message_ts: str | None = None,
) -> None:
    """A claim as a clock that crashed (or is still posting) left it."""
    with session_scope(engine) as session:
        session.add(
            Delivery(
                team_id=cadence.team_id,
                cadence_id=cadence.id or 0,
                occurrence=MEETING,
                kind=AGENDA,
                status=status,
                attempts=1,
                lease_until=lease_until,
                message_ts=message_ts,
                updated_at=lease_until - 5 * MINUTE,  # claimed for a five-minute lease
            )
        )


def rows(engine: Engine) -> list[Delivery]:
    with Session(engine) as session:
        return list(session.scalars(select(Delivery).order_by("kind", "occurrence")))


def top_level(slack_api: FakeSlack, channel: str = "C1") -> list[dict[str, Any]]:
    """The messages posted to the channel itself, not into a thread."""
    return [
        p
        for p in slack_api.sent("chat.postMessage")
        if p.get("channel") == channel and not p.get("thread_ts")
    ]


def agenda_of(engine: Engine, cadence: Cadence, *, now: datetime) -> Agenda:
    with Session(engine) as session:
        return build_agenda(session=session, cadence=cadence, occurrence=MEETING, now=now)


def deliver(engine: Engine, client: AsyncWebClient, *, now: datetime, pace: float = 0.0) -> Report:
    """One run of the clock at `now`, every workspace through `client`; posts in a channel
    `pace` seconds apart (Slack's pace, 1 s, where a test is about it)."""
    slack = lambda team_id: client  # noqa: E731
    return asyncio.run(run_due(engine=engine, slack=slack, now=now, pace=pace))


def clocks_at_once(engine: Engine, client: AsyncWebClient, *, count: int) -> list[Report]:
    """Run `count` clocks in threads, released together at the agenda time."""
    start = threading.Barrier(count)
    reports: list[Report] = []

    def clock() -> None:
        start.wait()
        reports.append(deliver(engine, client, now=AGENDA_AT))

    threads = [threading.Thread(target=clock) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return reports


@pytest.fixture
def client(slack_api: FakeSlack) -> AsyncWebClient:
    client = async_web_client(token="xoxb-test", base_url=slack_api.url)
    client.timeout = 20
    return client


@pytest.fixture
def cadence(engine: Engine) -> Cadence:
    """The monthly meeting, first Tuesday 10:00 New York, set at SET_AT, agenda two days ahead."""
    with session_scope(engine) as session:
        return make_cadence(session=session, lead=AGENDA_LEAD, now=SET_AT)


def test_nothing_before_the_agenda_time(
    engine: Engine, client: AsyncWebClient, slack_api: FakeSlack, cadence: Cadence
) -> None:
    """Just before the agenda's send time nothing is posted or recorded."""
    report = deliver(engine, client, now=AGENDA_AT - MINUTE)
    assert report == Report()
    assert slack_api.attempts("chat.postMessage") == 0
    assert rows(engine) == []


def test_agenda_posted_once_at_its_time(
    engine: Engine, client: AsyncWebClient, slack_api: FakeSlack, cadence: Cadence
) -> None:
    """At its send time the agenda goes to the cadence's channel once; a later run adds nothing."""
    report = deliver(engine, client, now=AGENDA_AT)
    assert [(r.post, r.occurrence, r.channel_id) for r in report.posted] == [
        (AGENDA, MEETING, "C1")
    ]
    [post] = top_level(slack_api)
    assert post["text"] == agenda_of(engine, cadence, now=AGENDA_AT).text
    [row] = rows(engine)
    assert (row.status, row.attempts, row.lease_until) == ("done", 1, None)
    assert row.message_ts

    again = deliver(engine, client, now=AGENDA_AT + MINUTE)
    assert again == Report()
    assert len(top_level(slack_api)) == 1


def test_agenda_thread_and_files_go_under_the_top_level_message(
    engine: Engine, client: AsyncWebClient, slack_api: FakeSlack
) -> None:
    """The agenda's detail replies and its files are posted into the top-level message's thread."""
    with session_scope(engine) as session:
        quarterly = make_cadence(session=session, kind="quarterly", lead=AGENDA_LEAD, now=SET_AT)
    [meeting] = occurrences(schedule_of(quarterly), after=SET_AT, count=1)
    send_at = meeting - timedelta(days=2)
    with Session(engine) as session:
        agenda = build_agenda(session=session, cadence=quarterly, occurrence=meeting, now=send_at)
    assert agenda.thread and agenda.files

    assert len(deliver(engine, client, now=send_at).posted) == 1
    [row] = rows(engine)
    [top] = top_level(slack_api)
    assert top["blocks"] == agenda.blocks
    replies = [p for p in slack_api.sent("chat.postMessage") if p.get("thread_ts")]
    assert [p["blocks"] for p in replies] == agenda.thread
    assert {p["thread_ts"] for p in replies} == {row.message_ts}
    [shared] = slack_api.sent("files.completeUploadExternal")
    assert shared["thread_ts"] == row.message_ts
    assert [f["title"] for f in shared["files"]] == [f.title for f in agenda.files]
    assert sorted(slack_api.uploads.values()) == sorted(f.content for f in agenda.files)


def test_clocks_at_once_post_once(
    engine: Engine, client: AsyncWebClient, slack_api: FakeSlack, cadence: Cadence
) -> None:
    """Clocks running the same instant against one database post the agenda once."""
    reports = clocks_at_once(engine, client, count=4)
    assert len(top_level(slack_api)) == 1
    assert sorted(len(r.posted) for r in reports) == [0, 0, 0, 1]
    assert [row.attempts for row in rows(engine)] == [1]


def test_clocks_taking_over_an_expired_claim_post_once(
    engine: Engine, client: AsyncWebClient, slack_api: FakeSlack, cadence: Cadence
) -> None:
    """Clocks finding the same expired claim at the same instant post the agenda once."""
    add_claim(engine, cadence, lease_until=AGENDA_AT - MINUTE)
    reports = clocks_at_once(engine, client, count=4)
    assert len(top_level(slack_api)) == 1
    assert sorted(len(r.posted) for r in reports) == [0, 0, 0, 1]
    assert [(row.status, row.attempts) for row in rows(engine)] == [("done", 2)]


def test_rate_limit_is_waited_out_and_posts_once(
    engine: Engine, client: AsyncWebClient, slack_api: FakeSlack, cadence: Cadence
) -> None:
    """A 429 with Retry-After: 1 is waited out, then the agenda is posted exactly once."""
    slack_api.fail("chat.postMessage", 429, retry_after=1)
    started = time.monotonic()
    report = deliver(engine, client, now=AGENDA_AT)
    assert time.monotonic() - started >= 1
    assert len(report.posted) == 1
    assert slack_api.attempts("chat.postMessage") == 1 + len(slack_api.sent("chat.postMessage"))
    assert len(top_level(slack_api)) == 1


def test_server_error_is_retried_and_posts_once(
    engine: Engine, client: AsyncWebClient, slack_api: FakeSlack, cadence: Cadence
) -> None:
    """A 500 from Slack is retried with backoff and the agenda is posted exactly once."""
    slack_api.fail("chat.postMessage", 500)
    report = deliver(engine, client, now=AGENDA_AT)
    assert len(report.posted) == 1
    assert len(top_level(slack_api)) == 1
    assert [row.status for row in rows(engine)] == ["done"]


def test_failed_post_is_given_back_for_a_later_run(
    engine: Engine, client: AsyncWebClient, slack_api: FakeSlack, cadence: Cadence
) -> None:
    """When Slack refuses the post, the claim is released unfinished and a later run posts it."""
    slack_api.fail("chat.postMessage", 400)
    report = deliver(engine, client, now=AGENDA_AT)
    assert [r.post for r in report.failed] == [AGENDA]
    [row] = rows(engine)
    assert row.status == "claimed"
    assert row.lease_until is not None and row.lease_until > AGENDA_AT

    waiting = deliver(engine, client, now=AGENDA_AT + 30 * SECOND)
    assert [r.post for r in waiting.busy] == [AGENDA]
    assert slack_api.attempts("chat.postMessage") == 1

    later = deliver(engine, client, now=AGENDA_AT + 2 * MINUTE)
    assert len(later.posted) == 1
    assert len(top_level(slack_api)) == 1
    assert [(row.status, row.attempts) for row in rows(engine)] == [("done", 2)]


def test_agenda_missed_while_down_is_posted_before_the_meeting(
    engine: Engine, client: AsyncWebClient, slack_api: FakeSlack, cadence: Cadence
) -> None:
    """A clock down across the agenda time posts it once when back before the meeting."""
    deliver(engine, client, now=AGENDA_AT - timedelta(hours=1))
    report = deliver(engine, client, now=MEETING - timedelta(hours=1))
    assert [r.post for r in report.posted] == [AGENDA]
    deliver(engine, client, now=MEETING - MINUTE)
    assert len(top_level(slack_api)) == 1


def test_agenda_missed_until_the_meeting_is_skipped_for_good(
    engine: Engine, client: AsyncWebClient, slack_api: FakeSlack, cadence: Cadence
) -> None:
    """A clock back after the meeting started posts no agenda and records it skipped for good."""
    report = deliver(engine, client, now=MEETING + MINUTE)
    assert [(r.post, r.occurrence) for r in report.skipped] == [(AGENDA, MEETING)]
    text, _ = starting_now(cadence=cadence, occurrence=MEETING)
    assert [p["text"] for p in top_level(slack_api)] == [text]
    assert [(row.kind, row.status) for row in rows(engine)] == [
        (AGENDA, "skipped"),
        (START, "done"),
    ]

    # A clock whose time lags behind finds the agenda skipped, not due.
    assert deliver(engine, client, now=MEETING - MINUTE) == Report()
    assert len(top_level(slack_api)) == 1


def test_start_reminder_posted_once_at_the_meeting_time(
    engine: Engine, client: AsyncWebClient, slack_api: FakeSlack, cadence: Cadence
) -> None:
    """At the meeting time "starting now" is posted once, and not again during the grace time."""
    deliver(engine, client, now=AGENDA_AT)
    report = deliver(engine, client, now=MEETING)
    assert [(r.post, r.occurrence) for r in report.posted] == [(START, MEETING)]
    assert report.skipped == ()
    deliver(engine, client, now=MEETING + 10 * MINUTE)
    text, blocks = starting_now(cadence=cadence, occurrence=MEETING)
    assert [p["text"] for p in top_level(slack_api)][1:] == [text]
    assert top_level(slack_api)[1]["blocks"] == blocks


def test_start_reminder_too_late_is_skipped(
    engine: Engine, client: AsyncWebClient, slack_api: FakeSlack, cadence: Cadence
) -> None:
    """Half an hour after the meeting started, "starting now" is skipped rather than posted."""
    report = deliver(engine, client, now=MEETING + 30 * MINUTE)
    assert sorted(r.post for r in report.skipped) == [AGENDA, START]
    assert slack_api.attempts("chat.postMessage") == 0


def test_expired_claim_of_a_crashed_clock_is_taken_over(
    engine: Engine, client: AsyncWebClient, slack_api: FakeSlack, cadence: Cadence
) -> None:
    """A claim whose lease ran out (its clock crashed before posting) is retried and posted."""
    add_claim(engine, cadence, lease_until=AGENDA_AT - MINUTE)
    report = deliver(engine, client, now=AGENDA_AT)
    assert len(report.posted) == 1
    assert len(top_level(slack_api)) == 1
    assert [(row.status, row.attempts) for row in rows(engine)] == [("done", 2)]


def test_live_claim_is_left_alone(
    engine: Engine, client: AsyncWebClient, slack_api: FakeSlack, cadence: Cadence
) -> None:
    """A claim still within its lease belongs to another clock: nothing is posted."""
    add_claim(engine, cadence, lease_until=AGENDA_AT + MINUTE)
    report = deliver(engine, client, now=AGENDA_AT)
    assert [r.post for r in report.busy] == [AGENDA]
    assert slack_api.attempts("chat.postMessage") == 0
    assert [(row.status, row.attempts) for row in rows(engine)] == [("claimed", 1)]


def test_retry_after_the_top_level_post_finishes_only_the_thread(
    engine: Engine, client: AsyncWebClient, slack_api: FakeSlack, cadence: Cadence
) -> None:
    """A clock that crashed after the top-level post and one reply is continued, not repeated."""
    add_claim(
        engine, cadence, lease_until=AGENDA_AT, status="posted:1", message_ts="1699999999.000001"
    )
    report = deliver(engine, client, now=AGENDA_AT + MINUTE)
    assert len(report.posted) == 1
    assert top_level(slack_api) == []
    agenda = agenda_of(engine, cadence, now=AGENDA_AT + MINUTE)
    replies = slack_api.sent("chat.postMessage")
    assert [p["blocks"] for p in replies] == agenda.thread[1:]
    assert all(p["thread_ts"] == "1699999999.000001" for p in replies)
    assert [(row.status, row.message_ts) for row in rows(engine)] == [("done", "1699999999.000001")]


def test_stale_claim_with_nothing_posted_is_skipped(
    engine: Engine, client: AsyncWebClient, slack_api: FakeSlack, cadence: Cadence
) -> None:
    """A crashed clock's claim whose meeting has started is recorded skipped, not posted."""
    add_claim(engine, cadence, lease_until=AGENDA_AT)
    report = deliver(engine, client, now=MEETING)
    assert [r.post for r in report.skipped] == [AGENDA]
    assert [p["text"] for p in top_level(slack_api)] == [
        starting_now(cadence=cadence, occurrence=MEETING)[0]
    ]
    assert [row.status for row in rows(engine) if row.kind == AGENDA] == ["skipped"]


def test_inactive_cadence_gets_no_reminders(
    engine: Engine, client: AsyncWebClient, slack_api: FakeSlack, cadence: Cadence
) -> None:
    """A cadence turned off is not reminded of."""
    with session_scope(engine) as session:
        row = session.get(Cadence, cadence.id)
        assert row is not None
        row.active = False
    assert deliver(engine, client, now=AGENDA_AT) == Report()
    assert slack_api.attempts("chat.postMessage") == 0


def test_slow_channel_does_not_hold_up_another(
    engine: Engine, client: AsyncWebClient, slack_api: FakeSlack, cadence: Cadence
) -> None:
    """While Slack is slow to answer for one channel, another channel's agenda is posted."""
    with session_scope(engine) as session:
        make_cadence(session=session, team_id="T2", channel_id="C2", lead=AGENDA_LEAD, now=SET_AT)
    gate = slack_api.hold("C2")
    reports: list[Report] = []
    run = threading.Thread(target=lambda: reports.append(deliver(engine, client, now=AGENDA_AT)))
    run.start()
    try:
        deadline = time.monotonic() + 15
        while not top_level(slack_api, "C1") and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(top_level(slack_api, "C1")) == 1
        assert top_level(slack_api, "C2") == []
    finally:
        gate.set()
        run.join(timeout=30)
    assert len(top_level(slack_api, "C2")) == 1
    assert sorted(r.channel_id for r in reports[0].posted) == ["C1", "C2"]


def test_agenda_days_ahead_keep_the_meeting_wall_time_across_dst(
    engine: Engine, client: AsyncWebClient, slack_api: FakeSlack
) -> None:
    """`agenda:2d` before a meeting just after the spring change comes at its local hour."""
    with session_scope(engine) as session:
        make_cadence(session=session, day_rule="third-mon", lead=AGENDA_LEAD, now=SET_AT)
    # Meeting Mon 15 Mar 2027 10:00 EDT = 14:00Z; two days before is Sat 13 Mar 10:00 EST = 15:00Z.
    early = deliver(engine, client, now=datetime(2027, 3, 13, 14, 30, tzinfo=UTC))
    assert early.posted == ()
    report = deliver(engine, client, now=datetime(2027, 3, 13, 15, 0, tzinfo=UTC))
    assert [(r.post, r.occurrence) for r in report.posted] == [
        (AGENDA, datetime(2027, 3, 15, 14, 0, tzinfo=UTC))
    ]
