"""The lead handoff as an operator runs it: `python -m bot` and `python -m scheduler` as
processes, leads over real HTTP, the fake Slack and a real event receiver."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from core.cards import ACCEPT
from handlers.handoff.hook import token_hash
from scheduler.events import sign
from storage.db import session_scope
from storage.handoffs import update_setup
from storage.models import Handoff
from tests.clock import NOW
from tests.fake_slack import FakeSlack
from tests.forms import block_action
from tests.receiver import Receiver
from tests.running import environment, web_environment
from tests.slack_client import SECRET, signature
from tests.test_clock_process import clock
from tests.test_processes import free_port

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "tdm_process-test-secret"
EVENTS = "events-secret"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def web(
    engine: Engine, database_url: str, slack_api: FakeSlack, tmp_path: Path, receiver: Receiver
) -> Iterator[str]:
    """`python -m bot` serving on a free port, with a workspace set up for handoffs."""
    port = free_port()
    env = web_environment(database_url=database_url, slack_api=slack_api, port=port, workers=2)
    server = subprocess.Popen(
        [sys.executable, "-m", "bot"], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                time.sleep(0.1)
        with session_scope(engine) as session:
            update_setup(
                session=session,
                team_id="T1",
                now=NOW,
                channel_id="C7",
                sla_minutes=240,
                token_hash=token_hash(TOKEN),
                notify_url=receiver.url,
                notify_secret=EVENTS,
            )
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def lead(base: str, token: str = TOKEN) -> httpx.Response:
    return httpx.post(
        f"{base}/hooks/leads",
        headers={"Authorization": f"Bearer {token}"},
        json={"lead": "ACME-42", "name": "Dana Ruiz", "campaign": "Q3 webinar"},
        timeout=5,
    )


def cards(slack_api: FakeSlack) -> list[dict[str, object]]:
    return [m for m in slack_api.sent("chat.postMessage") if not m.get("thread_ts")]


def test_a_lead_over_http_to_a_card_a_reminder_and_an_event(
    web: str, slack_api: FakeSlack, engine: Engine, tmp_path: Path, receiver: Receiver
) -> None:
    """A curl'd lead is a card within 2 s; the same again is 200 and posts nothing; a wrong
    secret is 401; the clock posts one SLA reminder, not two; an accept reaches the receiver
    signed, once."""
    started = time.monotonic()
    first = lead(web)
    assert first.status_code == 202, first.text
    while not cards(slack_api) and time.monotonic() - started < 2:
        time.sleep(0.02)
    assert [c["channel"] for c in cards(slack_api)] == ["C7"]
    assert lead(web).status_code == 200
    assert lead(web, "tdm_wrong").status_code == 401
    time.sleep(0.3)
    assert len(cards(slack_api)) == 1

    with Session(engine) as session:
        handoff = session.scalars(select(Handoff)).one()
    env = environment(
        database_url=str(engine.url.render_as_string(hide_password=False)), slack_api=slack_api
    )
    early = f"{handoff.received_at + timedelta(hours=3, minutes=59):%Y-%m-%dT%H:%M:%SZ}"
    due = f"{handoff.due_at + timedelta(seconds=1):%Y-%m-%dT%H:%M:%SZ}"  # at or just past it
    for at in (early, due, due):
        done = clock("--once", "--at", at, env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    reminders = [m for m in slack_api.sent("chat.postMessage") if m.get("thread_ts")]
    assert len(reminders) == 1 and "has waited 4 h" in json.dumps(reminders[0]["blocks"])

    body = urlencode(
        {
            "payload": json.dumps(
                block_action(ACCEPT, str(handoff.id), channel="C7", message_ts="1.2", user="U2")
            )
        }
    )
    stamp = int(time.time())
    accepted = httpx.post(
        f"{web}/slack/events",
        content=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": str(stamp),
            "X-Slack-Signature": signature(secret=SECRET, timestamp=stamp, body=body),
        },
        timeout=5,
    )
    assert accepted.status_code == 200
    done = clock("--once", "--at", due, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    [event] = receiver.taken()
    assert json.loads(event.body)["type"] == "lead.accepted"
    assert event.headers["x-tandem-signature"] == sign(EVENTS, event.body)
    assert clock("--once", "--at", due, env=env, cwd=tmp_path).returncode == 0
    assert len(receiver.taken()) == 1


def test_two_accepts_at_once_on_two_workers_one_wins(
    web: str, slack_api: FakeSlack, engine: Engine
) -> None:
    """Two reps clicking Accept at the same moment, served by two web workers: one owns it."""
    assert lead(web).status_code == 202
    deadline = time.monotonic() + 2
    while not cards(slack_api) and time.monotonic() < deadline:
        time.sleep(0.02)  # the card is in Slack, so the winner's accept can redraw it
    with Session(engine) as session:
        handoff = session.scalars(select(Handoff)).one()

    def click(user: str) -> int:
        body = urlencode(
            {
                "payload": json.dumps(
                    block_action(ACCEPT, str(handoff.id), channel="C7", message_ts="1.2", user=user)
                )
            }
        )
        stamp = int(time.time())
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": str(stamp),
            "X-Slack-Signature": signature(secret=SECRET, timestamp=stamp, body=body),
        }
        return httpx.post(
            f"{web}/slack/events", content=body, headers=headers, timeout=5
        ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(click, [f"U{n}" for n in range(8)]))
    assert answers == [200] * 8
    with Session(engine) as session:
        owner = session.scalars(select(Handoff)).one().decided_by
    told = slack_api.sent("chat.postEphemeral")
    assert len(slack_api.sent("chat.update")) == 1
    assert len(told) == 7 and owner not in {t["user"] for t in told}
