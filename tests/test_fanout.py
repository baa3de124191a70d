"""Many channels at once, and posts Slack took without saying so, through the fake Slack,
on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from datetime import timedelta

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Engine

from bot.slack import async_web_client
from core.meetings import occurrences, schedule_of
from scheduler.posting import METADATA_TYPE
from storage.db import session_scope
from tests.factories import make_cadence
from tests.fake_slack import TAKE_AND_DROP, FakeSlack
from tests.test_delivery import (
    AGENDA_AT,
    AGENDA_LEAD,
    MINUTE,
    SET_AT,
    add_claim,
    agenda_of,
    deliver,
    rows,
    top_level,
)

CHANNELS = [f"C{n:02d}" for n in range(1, 21)]
SLACK_PACE = 1.0


@pytest.fixture
def client(slack_api: FakeSlack) -> AsyncWebClient:
    client = async_web_client(token="xoxb-test", base_url=slack_api.url)
    client.timeout = 20
    return client


def twenty_channels(engine: Engine) -> None:
    """Twenty workspaces of one channel each, their monthly agendas due at AGENDA_AT."""
    with session_scope(engine) as session:
        for n, channel in enumerate(CHANNELS, start=1):
            make_cadence(
                session=session,
                team_id=f"T{n:02d}",
                channel_id=channel,
                lead=AGENDA_LEAD,
                now=SET_AT,
            )


def posts_in(slack_api: FakeSlack, channel: str) -> list[float]:
    """When each message posted in `channel` (top-level or reply) was taken, in order."""
    return [c.at for c in slack_api.taken("chat.postMessage") if c.params["channel"] == channel]


def test_a_rate_limited_channel_holds_up_no_other(
    engine: Engine, client: AsyncWebClient, slack_api: FakeSlack
) -> None:
    """Twenty agendas fall due at once; while Slack answers one channel 429 with Retry-After 2
    three times, the other nineteen go out whole, at Slack's pace, without waiting for it."""
    twenty_channels(engine)
    slack_api.fail("chat.postMessage", 429, retry_after=2, times=3, channel="C07")
    started = time.monotonic()
    report = deliver(engine, client, now=AGENDA_AT, pace=SLACK_PACE)
    assert sorted(r.channel_id for r in report.posted) == CHANNELS

    agenda = agenda_of(engine, make_cadence(now=SET_AT), now=AGENDA_AT)
    parts = 1 + len(agenda.thread)
    assert parts >= 2
    for channel in CHANNELS:
        assert len(top_level(slack_api, channel)) == 1
        assert len(posts_in(slack_api, channel)) == parts  # nothing twice, nothing missing
    others = [t - started for ch in CHANNELS if ch != "C07" for t in posts_in(slack_api, ch)]
    held = [t - started for t in posts_in(slack_api, "C07")]
    # Each channel paces its own posts; none of the others waited the 6 s C07 was held back.
    floor = (parts - 1) * SLACK_PACE
    assert held[0] >= 6
    assert max(others) < min(held[0], floor + 4)
    for channel in CHANNELS:
        times = posts_in(slack_api, channel)
        assert all(b - a >= SLACK_PACE - 0.05 for a, b in itertools.pairwise(times))
    # Paced, the others drew no 429: only C07's three were refused.
    assert slack_api.attempts("chat.postMessage") == 20 * parts + 3


def test_post_taken_before_the_connection_dropped_is_not_posted_again(
    engine: Engine, client: AsyncWebClient, slack_api: FakeSlack
) -> None:
    """Slack takes the agenda and the connection drops before its answer: the clock finds
    the message by its metadata and threads the details under it; nothing is posted twice."""
    twenty_channels(engine)
    slack_api.fail("chat.postMessage", TAKE_AND_DROP, channel="C03")
    slack_api.fail("chat.postMessage", TAKE_AND_DROP, channel="C05", skip=1)  # its first reply
    report = deliver(engine, client, now=AGENDA_AT)
    assert sorted(r.channel_id for r in report.posted) == CHANNELS

    agenda = agenda_of(engine, make_cadence(now=SET_AT), now=AGENDA_AT)
    for channel in ("C03", "C05"):
        top = next(c for c in slack_api.taken("chat.postMessage") if c.params["channel"] == channel)
        replies = [p for p in slack_api.sent("chat.postMessage") if p["channel"] == channel][1:]
        assert len(top_level(slack_api, channel)) == 1
        assert [p["blocks"] for p in replies] == agenda.thread
        assert {p["thread_ts"] for p in replies} == {top.answer["ts"]}
    assert {row.status for row in rows(engine)} == {"done"}
    assert {p["metadata"]["event_type"] for p in slack_api.sent("chat.postMessage")} == {
        METADATA_TYPE
    }
    assert len(slack_api.sent("conversations.history")) == 1
    assert len(slack_api.sent("conversations.replies")) == 1


def test_without_the_history_scope_a_dropped_post_may_show_twice(
    engine: Engine,
    client: AsyncWebClient,
    slack_api: FakeSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Where Slack will not let Tandem look (no channels:history), the post whose answer was
    lost is posted again, and the log says it may show twice: the trade-off that remains."""
    with session_scope(engine) as session:
        make_cadence(session=session, lead=AGENDA_LEAD, now=SET_AT)
    slack_api.history_allowed = False
    slack_api.fail("chat.postMessage", TAKE_AND_DROP)
    with caplog.at_level(logging.WARNING, logger="scheduler"):
        report = deliver(engine, client, now=AGENDA_AT)
    assert len(report.posted) == 1
    assert len(top_level(slack_api)) == 2
    assert "may repeat it" in caplog.text and "missing_scope" in caplog.text


def test_retry_after_a_crash_finds_the_top_level_post(
    engine: Engine, client: AsyncWebClient, slack_api: FakeSlack
) -> None:
    """A clock that crashed after Slack took the agenda, before its row said so, is taken
    over: the agenda is found in the channel and only its thread is posted."""
    with session_scope(engine) as session:
        cadence = make_cadence(session=session, lead=AGENDA_LEAD, now=SET_AT)
    add_claim(engine, cadence, lease_until=AGENDA_AT - MINUTE)
    key = f"{cadence.id}:{AGENDA_AT + AGENDA_LEAD:%Y-%m-%dT%H:%MZ}:agenda"
    crashed = async_web_client(token="xoxb-test", base_url=slack_api.url)
    metadata = {"event_type": METADATA_TYPE, "event_payload": {"key": key, "part": 0}}
    earlier = asyncio.run(crashed.chat_postMessage(channel="C1", text="agenda", metadata=metadata))
    report = deliver(engine, client, now=AGENDA_AT)
    assert len(report.posted) == 1
    assert len(top_level(slack_api)) == 1
    [row] = rows(engine)
    assert (row.status, row.attempts, row.message_ts) == ("done", 2, earlier["ts"])
    replies = [p for p in slack_api.sent("chat.postMessage") if p.get("thread_ts")]
    assert replies and {p["thread_ts"] for p in replies} == {earlier["ts"]}


def test_files_shared_before_the_connection_dropped_are_not_shared_again(
    engine: Engine, client: AsyncWebClient, slack_api: FakeSlack
) -> None:
    """The quarterly agenda's charts and invitation, shared as the connection dropped, are
    found in the thread by name and not shared twice."""
    with session_scope(engine) as session:
        quarterly = make_cadence(session=session, kind="quarterly", lead=AGENDA_LEAD, now=SET_AT)
    [meeting] = occurrences(schedule_of(quarterly), after=SET_AT, count=1)
    slack_api.fail("files.completeUploadExternal", TAKE_AND_DROP)
    report = deliver(engine, client, now=meeting - timedelta(days=2))
    assert len(report.posted) == 1
    assert len(slack_api.sent("files.completeUploadExternal")) == 1
    assert [row.status for row in rows(engine)] == ["done"]
