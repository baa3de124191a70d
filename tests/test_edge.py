"""Bodies no Slack request could have are refused with 400, over a connection that stays usable."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy.exc import OperationalError

from bot.app import create_web
from bot.config import Settings
from bot.services import Services
from core.wording import SORRY_OTHER
from handlers.errors import apology
from storage.db import Database
from tests.clock import SetClock
from tests.forms import selected, text_value, view_submission
from tests.live import captured_logs, serving
from tests.slack_client import SECRET

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def signed(body: bytes, content_type: str) -> dict[str, str]:
    """Headers of a request signed as Slack signs one: over the body's bytes, whatever they are."""
    timestamp = int(time.time())
    base = f"v0:{timestamp}:".encode() + body
    digest = hmac.new(SECRET.encode(), base, hashlib.sha256).hexdigest()
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": f"v0={digest}",
    }


def payload(value: object) -> bytes:
    return urlencode({"payload": json.dumps(value)}).encode()


@pytest.fixture
def live(settings: Settings, db: Database, clock: SetClock) -> Iterator[httpx.Client]:
    """The app over real HTTP: one keep-alive connection to it."""
    web = create_web(services=Services(settings=settings, db=db, clock=clock))
    with serving(web) as url, httpx.Client(base_url=url, timeout=5) as http:
        yield http


# The view of the issue: a title that is a string, a state without values, no id.
BARE_VIEW = {"type": "modal", "callback_id": "lead_rating_form", "title": "x", "state": {}}
WORKFLOW_VIEW = {"id": "V", "type": "workflow_step", "callback_id": "x", "state": {"values": {}}}
MALFORMED = [
    (b"payload=%7B", FORM),
    (b"\xff\xfe\xfa", FORM),
    (b"text=caf\xe9", FORM),
    (b"[1,2,3]", JSON),
    (b"42", JSON),
    (b"{", JSON),
    (b"", JSON),
    (b"{}", JSON),
    (b'{"type":"event_callback","event":5}', JSON),
    (b'{"type":"event_callback","team_id":"T1","event_id":"E","event":{"type":7}}', JSON),
    (payload([1, 2]), FORM),
    (payload({"type": "block_actions", "user": 5}), FORM),
    (payload({"type": "block_actions", "user": {"id": "U1"}, "team": {"id": "T1"}}), FORM),
    (payload({**view_submission("lead_rating_form", {}), "view": BARE_VIEW}), FORM),
    (payload({**view_submission("lead_rating_form", {}), "view": "x"}), FORM),
    # Found by the fuzz test: Bolt reads view.type, and workflow_step for a step's view.
    (payload({**view_submission("x", {}), "view": {"id": "V", "callback_id": "x"}}), FORM),
    (payload({**view_submission("x", {}), "view": {**WORKFLOW_VIEW}}), FORM),
    (payload({"type": "interactive_message", "callback_id": "x", "user": {"id": "U1"}}), FORM),
    (b"command=%2Flead&text=x", FORM),
    (b"command=%2Flead&text=x&user_id=U1&trigger_id=1", FORM),
    (b"command=%2Flead&text=x&team_id=T1&trigger_id=1", FORM),
]


@pytest.mark.parametrize(("body", "content_type"), MALFORMED)
def test_malformed_bodies_are_refused(
    live: httpx.Client, body: bytes, content_type: str, database_url: str
) -> None:
    """A signed body that is no Slack request gets 400 and no traceback; the connection lives."""
    with captured_logs() as logs:
        response = live.post("/slack/events", content=body, headers=signed(body, content_type))
        after = live.get("/healthz")
    assert response.status_code == 400
    assert after.status_code == 200
    assert logs.tracebacks == 0, logs.text


def test_unsigned_malformed_bodies_get_no_500(live: httpx.Client, database_url: str) -> None:
    """Without a signature, a malformed body is refused too, not answered with a 500."""
    for body, content_type in MALFORMED:
        response = live.post("/slack/events", content=body, headers={"Content-Type": content_type})
        assert response.status_code in {400, 401}


def test_well_formed_requests_still_pass(live: httpx.Client, database_url: str) -> None:
    """The guard lets Slack's own shapes through: a command and a form are answered."""
    form = {
        "command": "/lead",
        "text": "help",
        "user_id": "U1",
        "team_id": "T1",
        "channel_id": "C1",
        "trigger_id": "1.2.3",
    }
    body = urlencode(form).encode()
    answer = live.post("/slack/events", content=body, headers=signed(body, FORM))
    assert answer.status_code == 200
    assert "/lead" in answer.text
    values = {"lead": text_value("ACME-42"), "score": selected("4")}
    body = payload(view_submission("lead_rating_form", values))
    answer = live.post("/slack/events", content=body, headers=signed(body, FORM))
    assert answer.status_code == 200
    assert answer.json()["response_action"] == "update"


@pytest.mark.parametrize(
    "view",
    [BARE_VIEW, {"title": {"text": 5}}, {"title": None}, "x", None, {"title": {"text": "A" * 99}}],
)
def test_the_error_handler_reads_any_view(view: object) -> None:
    """The last-word handler answers a form of any shape with an apology in a valid modal."""
    body = {"type": "view_submission", "view": view}
    answer = apology(KeyError("values"), body)
    assert answer is not None and answer.status == 200
    sent = json.loads(answer.body)
    assert sent["response_action"] == "update"
    assert 0 < len(sent["view"]["title"]["text"]) <= 24
    assert SORRY_OTHER in json.dumps(sent)


def test_the_error_handler_says_when_the_database_failed() -> None:
    """A command whose database failed is answered with the storage apology."""
    error = OperationalError("SELECT 1", {}, Exception("gone"))
    answer = apology(error, {"command": "/lead"})
    assert answer is not None and "database" in answer.body
