"""Events back to the workspace's receiver: a real HTTP server, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from scheduler.events import NO_RECEIVER, EventReport, deliver_events, next_try, sign
from storage.db import session_scope
from storage.handoffs import accept, reject, update_setup
from storage.models import OutboxEvent
from tests.clock import NOW
from tests.factories import add_handoff, add_rating
from tests.receiver import DROP, Receiver, Request

SECRET = "tandem-signing-secret"
TOKEN_HASH = hashlib.sha256(b"marketing-webhook-token").hexdigest()
FIELDS = {"id", "type", "lead", "campaign", "by", "at", "score", "reason", "criteria"}
README = Path(__file__).parent.parent / "README.md"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


def _readme_verified() -> Any:
    """The README's example receiver check, run as the README prints it."""
    section = README.read_text().split("### Events back to your CRM", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None, "the README shows how to check a signature"
    assert len(code[1].strip().splitlines()) <= 10
    namespace: dict[str, Any] = {}
    exec(code[1], namespace)
    return namespace["verified"]


def _body(request: Request) -> dict[str, Any]:
    """The event, once its signature checks out the way the README tells receivers to."""
    signature = request.headers["x-tandem-signature"]
    assert _readme_verified()(request.body, signature, SECRET)
    return dict(json.loads(request.body))


def _set_receiver(engine: Engine, url: str | None, team: str = "T1") -> None:
    with session_scope(engine) as session:
        update_setup(
            session=session,
            team_id=team,
            now=NOW,
            channel_id="CHAND",
            token_hash=TOKEN_HASH,
            notify_url=url,
            notify_secret=SECRET if url else None,
        )


def _hand_over(engine: Engine, lead: str, *, at: datetime = NOW) -> int:
    with session_scope(engine) as session:
        return add_handoff(session=session, token_hash=TOKEN_HASH, lead=lead, at=at, score=87.5)


def _accepted(engine: Engine, lead: str, *, by: str = "U1", at: datetime = NOW) -> int:
    handoff_id = _hand_over(engine, lead, at=at)
    with session_scope(engine) as session:
        accept(session=session, team_id="T1", handoff_id=handoff_id, user_id=by, now=at)
    return handoff_id


def _rejected(engine: Engine, lead: str, *, unmet: tuple[str, ...], at: datetime) -> None:
    handoff_id = _hand_over(engine, lead, at=at)
    with session_scope(engine) as session:
        reject(
            session=session,
            team_id="T1",
            handoff_id=handoff_id,
            user_id="U3",
            reason="no budget this year",
            unmet=unmet,
            now=at,
        )


def _rated(engine: Engine, lead: str, *, by: str, score: int, at: datetime) -> None:
    with session_scope(engine) as session:
        add_rating(
            session=session,
            lead=lead,
            user_id=by,
            score=score,
            campaign="Q3 webinar",
            criteria={"budget": True, "need": False},
            reason="good fit, no need yet",
            at=at,
        )


def _events(engine: Engine) -> list[OutboxEvent]:
    with Session(engine) as session:
        return list(session.scalars(select(OutboxEvent).order_by(col(OutboxEvent.id))))


def _ids(engine: Engine, lead: str | None = None) -> list[str]:
    return [e.event_id for e in _events(engine) if lead is None or e.lead_key == lead.casefold()]


def _event(engine: Engine, event_id: str) -> OutboxEvent:
    (event,) = [e for e in _events(engine) if e.event_id == event_id]
    return event


def test_each_event_arrives_once_signed(
    engine: Engine, receiver: Receiver, http: httpx.Client
) -> None:
    """Accepts, ratings and rejections arrive once each, signed, with every field of the SPEC."""
    _set_receiver(engine, receiver.url)
    _accepted(engine, "ACME-42")
    _rated(engine, "ACME-42", by="U2", score=4, at=NOW + timedelta(minutes=1))
    _rejected(engine, "GLOBEX-7", unmet=("budget",), at=NOW + timedelta(minutes=2))
    report = deliver_events(engine=engine, http=http, now=NOW + timedelta(minutes=5))
    again = deliver_events(engine=engine, http=http, now=NOW + timedelta(minutes=10))

    assert sorted(report.delivered) == sorted(_ids(engine))
    assert again == EventReport()
    stored = {e.event_id: e.body.encode() for e in _events(engine)}
    assert sorted(receiver.tries()) == sorted(stored)
    for request in receiver.requests:
        assert request.body == stored[request.event_id]
        assert request.headers["content-type"] == "application/json"
        assert request.headers["x-tandem-event"] == request.event_id
        assert request.headers["x-tandem-signature"] == sign(SECRET, request.body)
    bodies = {(b := _body(r))["type"]: b for r in receiver.requests}
    assert all(set(body) == FIELDS for body in bodies.values())
    assert bodies["lead.accepted"] | {"id": None} == {
        "id": None,
        "type": "lead.accepted",
        "lead": "ACME-42",
        "campaign": "Q3 webinar",
        "by": "U1",
        "at": "2026-11-16T12:00:00Z",
        "score": None,
        "reason": None,
        "criteria": None,
    }
    assert bodies["lead.rated"]["by"] == "U2"
    assert bodies["lead.rated"]["at"] == "2026-11-16T12:01:00Z"
    assert bodies["lead.rated"]["score"] == 4
    assert bodies["lead.rated"]["criteria"] == {
        "budget": True,
        "authority": None,
        "need": False,
        "timing": None,
    }
    assert bodies["lead.rejected"]["lead"] == "GLOBEX-7"
    assert bodies["lead.rejected"]["score"] == 1
    assert bodies["lead.rejected"]["reason"] == "no budget this year"
    assert bodies["lead.rejected"]["criteria"]["budget"] is False
    assert all(e.status == "delivered" and e.attempts == 1 for e in _events(engine))


def test_a_forged_signature_does_not_verify() -> None:
    """The README's check refuses a body signed with another secret or changed on the way."""
    verified = _readme_verified()
    body = b'{"id":"1","type":"lead.accepted"}'
    assert verified(body, sign(SECRET, body), SECRET)
    assert not verified(body, sign("another secret", body), SECRET)
    assert not verified(body + b" ", sign(SECRET, body), SECRET)


def test_events_of_a_lead_arrive_in_order(
    engine: Engine, receiver: Receiver, http: httpx.Client
) -> None:
    """All of a lead's events go out in one run, in the order they happened, leads side by side."""
    _set_receiver(engine, receiver.url)
    leads = [f"LEAD-{n}" for n in range(6)]
    for lead in leads:
        _accepted(engine, lead)
    for minute, by in enumerate(["U2", "U3"], start=1):
        for lead in leads:
            _rated(engine, lead, by=by, score=3, at=NOW + timedelta(minutes=minute))

    report = deliver_events(engine=engine, http=http, now=NOW + timedelta(minutes=5))

    assert sorted(report.delivered) == sorted(_ids(engine))
    tries = receiver.tries()
    for lead in leads:
        assert [i for i in tries if i in _ids(engine, lead)] == _ids(engine, lead)
    types = [_body(r)["type"] for r in receiver.requests if _body(r)["lead"] == "LEAD-0"]
    assert types == ["lead.accepted", "lead.rated", "lead.rated"]


@pytest.mark.parametrize("failure", [500, 503, 404, DROP], ids=str)
def test_a_failed_try_is_retried_with_the_same_id(
    engine: Engine, receiver: Receiver, http: httpx.Client, failure: int
) -> None:
    """A refused or dropped event comes again, same id and bytes, before the lead's next one."""
    _set_receiver(engine, receiver.url)
    _accepted(engine, "ACME-42")
    _rated(engine, "ACME-42", by="U2", score=5, at=NOW)
    first, second = _ids(engine)
    receiver.fail(failure)

    failed = deliver_events(engine=engine, http=http, now=NOW)
    early = deliver_events(engine=engine, http=http, now=NOW + timedelta(seconds=20))
    later = deliver_events(engine=engine, http=http, now=NOW + timedelta(minutes=1))

    assert failed == EventReport(retrying=(first,))
    assert early == EventReport()  # the retry is 30 s after the failed try
    assert later == EventReport(delivered=(first, second))
    assert receiver.tries() == [first, first, second]
    assert receiver.requests[0].body == receiver.requests[1].body
    assert [r.event_id for r in receiver.taken()] == [first, second]
    assert _event(engine, first).attempts == 2
    assert _event(engine, first).last_error is None


def test_no_answer_in_time_is_a_failed_try(
    engine: Engine, receiver: Receiver, http: httpx.Client
) -> None:
    """A receiver that does not answer within the timeout gets the event again later."""
    _set_receiver(engine, receiver.url)
    _accepted(engine, "ACME-42")
    (event_id,) = _ids(engine)
    receiver.answer_after(1.0)

    slow = deliver_events(engine=engine, http=http, now=NOW, timeout=0.2)
    assert slow == EventReport(retrying=(event_id,))
    assert "Timeout" in (_event(engine, event_id).last_error or "")
    receiver.recover()
    assert deliver_events(engine=engine, http=http, now=NOW + timedelta(minutes=1)).delivered == (
        event_id,
    )


def test_a_receiver_down_for_an_hour_gets_everything_after(
    engine: Engine, receiver: Receiver, http: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    """While the receiver is down events wait; once up, every one arrives, ids kept, in order."""
    _set_receiver(engine, receiver.url)
    for lead in ("ACME-42", "GLOBEX-7"):
        _accepted(engine, lead)
        _rated(engine, lead, by="U2", score=2, at=NOW + timedelta(minutes=1))
    receiver.stop()
    caplog.set_level(logging.WARNING, logger="scheduler.events")

    retried: list[str] = []
    for minutes in range(0, 61, 10):
        report = deliver_events(engine=engine, http=http, now=NOW + timedelta(minutes=minutes))
        assert report.delivered == report.failed == ()
        retried += report.retrying
    receiver.start()
    report = deliver_events(engine=engine, http=http, now=NOW + timedelta(minutes=75))

    assert sorted(report.delivered) == sorted(_ids(engine))
    assert receiver.tries() == [r.event_id for r in receiver.taken()]
    for lead in ("ACME-42", "GLOBEX-7"):
        assert [i for i in receiver.tries() if i in _ids(engine, lead)] == _ids(engine, lead)
    heads = {_ids(engine, lead)[0] for lead in ("ACME-42", "GLOBEX-7")}
    assert set(retried) == heads  # a lead's later events wait behind its first
    assert all(_event(engine, head).attempts == retried.count(head) + 1 for head in heads)
    lines = [r for r in caplog.records if r.name == "scheduler.events"]
    assert len(lines) == len(retried)
    assert all(not r.exc_info and "ConnectError" in r.getMessage() for r in lines)


def test_an_event_is_given_up_after_48_hours(
    engine: Engine, receiver: Receiver, http: httpx.Client
) -> None:
    """An event refused for 48 h fails for good; the lead's next events then go out."""
    _set_receiver(engine, receiver.url)
    _accepted(engine, "ACME-42")
    _rated(engine, "ACME-42", by="U2", score=4, at=NOW + timedelta(minutes=1))
    first, second = _ids(engine)
    receiver.fail(500, times=None)

    assert deliver_events(engine=engine, http=http, now=NOW).retrying == (first,)
    day = deliver_events(engine=engine, http=http, now=NOW + timedelta(hours=24))
    assert day == EventReport(retrying=(first,))  # still trying after a day
    end = deliver_events(engine=engine, http=http, now=NOW + timedelta(hours=47, minutes=59))
    assert end == EventReport(retrying=(second,), failed=(first,))
    receiver.recover()
    after = deliver_events(engine=engine, http=http, now=NOW + timedelta(hours=48))

    assert after == EventReport(delivered=(second,))
    assert _event(engine, first).status == "failed"
    assert _event(engine, first).last_error == "HTTP 500 Internal Server Error"
    assert [r.event_id for r in receiver.taken()] == [second]


def test_retries_back_off_to_ten_minutes() -> None:
    """Tries are 30 s, 1, 2, 4, 8 min apart, then 10 min; none lands past 48 h from the change."""
    gaps = [next_try(attempts=n, created_at=NOW, now=NOW) for n in range(1, 9)]
    assert [(at - NOW).total_seconds() if at else None for at in gaps] == [
        30,
        60,
        120,
        240,
        480,
        600,
        600,
        600,
    ]
    last = NOW + timedelta(hours=47, minutes=50)
    assert next_try(attempts=300, created_at=NOW, now=last) == NOW + timedelta(hours=48)
    assert next_try(attempts=300, created_at=NOW, now=last + timedelta(seconds=1)) is None


def test_two_deliverers_at_once_send_each_event_once(
    engine: Engine, receiver: Receiver, http: httpx.Client
) -> None:
    """Two clocks running together deliver every event exactly once, still in order per lead."""
    _set_receiver(engine, receiver.url)
    leads = [f"LEAD-{n}" for n in range(8)]
    for lead in leads:
        _accepted(engine, lead)
        _rated(engine, lead, by="U2", score=4, at=NOW)
    start = threading.Barrier(2)
    reports: list[EventReport] = []

    def run() -> None:
        start.wait()
        reports.append(deliver_events(engine=engine, http=http, now=NOW + timedelta(minutes=1)))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    delivered = [i for report in reports for i in report.delivered]
    assert sorted(delivered) == sorted(_ids(engine))
    assert sorted(receiver.tries()) == sorted(_ids(engine))
    for lead in leads:
        assert [i for i in receiver.tries() if i in _ids(engine, lead)] == _ids(engine, lead)
    assert all(e.status == "delivered" for e in _events(engine))


def test_no_receiver_queues_nothing(engine: Engine, receiver: Receiver, http: httpx.Client) -> None:
    """A workspace without a notify URL has no events written, and nothing is sent."""
    _set_receiver(engine, None)
    _accepted(engine, "ACME-42")
    _rated(engine, "ACME-42", by="U2", score=4, at=NOW)
    _rejected(engine, "GLOBEX-7", unmet=(), at=NOW)

    assert _events(engine) == []
    assert deliver_events(engine=engine, http=http, now=NOW) == EventReport()
    assert receiver.requests == []


def test_a_receiver_turned_off_fails_what_was_queued(
    engine: Engine, receiver: Receiver, http: httpx.Client
) -> None:
    """Events queued before `/handoff notify off` fail with the reason, and are not sent."""
    _set_receiver(engine, receiver.url)
    _accepted(engine, "ACME-42")
    (event_id,) = _ids(engine)
    _set_receiver(engine, None)

    report = deliver_events(engine=engine, http=http, now=NOW)

    assert report == EventReport(failed=(event_id,))
    assert _event(engine, event_id).status == "failed"
    assert _event(engine, event_id).last_error == NO_RECEIVER
    assert receiver.requests == []
