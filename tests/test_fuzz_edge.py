"""Generated requests to the running app: no 5xx, no traceback, every answer within 3 s.

`python -m bot` runs as an operator starts it, wired to the fake Slack, and at least
10,000 requests signed as Slack signs them go to it over keep-alive connections, a few
at a time: command texts of any Unicode and any length up to Slack's for every command,
malformed bodies, interactivity payloads with fields missing or mistyped, and unknown
events. Its log is read for tracebacks; `/healthz` must still answer 200 afterwards.

The full count runs on SQLite and a quarter of it on PostgreSQL: the edge, the parsers and
the listeners are the same code on both, and PostgreSQL's run is there for what only it
refuses (NUL, invalid Unicode), which a quarter of the cases reach many times over.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import cards
from handlers.cadence import FORM as CADENCE_FORM
from handlers.collateral import FORM as COLLATERAL_FORM
from handlers.collateral import VOTE_ACTIONS
from handlers.glossary import FORM as GLOSSARY_FORM
from handlers.handoff import SETUP_FORM
from handlers.handoff.card import REJECT_FORM
from handlers.intel import FORM as INTEL_FORM
from handlers.intel import SHORTCUT
from handlers.lead import FORM as LEAD_FORM
from handlers.winloss import FORM as WINLOSS_FORM
from tests.fake_slack import FakeSlack
from tests.running import Running, wait_healthy, web_environment
from tests.slack_client import SECRET
from tests.test_processes import free_port

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text())
COMMANDS = [entry["command"] for entry in MANIFEST["features"]["slash_commands"]]
FORMS = [LEAD_FORM, INTEL_FORM, WINLOSS_FORM, COLLATERAL_FORM, CADENCE_FORM, GLOSSARY_FORM]
FORMS += [SETUP_FORM, REJECT_FORM]
ACTIONS = [cards.ACCEPT, cards.REJECT, cards.RATE, cards.CRM, *VOTE_ACTIONS.values()]
VERBS = ["", "help ", "search ", "find ", "add ", "set ", "stats", "list ", "preview ", "win "]
SLACK_TEXT = 40_000  # the most a Slack message holds
ANSWER_WITHIN = 3.0
BATCH = 4  # requests in flight at once
POSTGRES_SHARE = 0.25
SCALE = float(os.environ.get("TANDEM_FUZZ_SCALE", "1"))  # a quicker run while working
FORM_TYPE = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"

Request = tuple[bytes, str, bool]  # body, content type, whether signed


@dataclass
class RunningApp:
    """`python -m bot` on a port of its own; what it answered, and its log as written."""

    http: httpx.Client
    log: list[str]
    statuses: Counter[int] = field(default_factory=Counter)
    slowest: float = 0.0
    pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(BATCH))

    def post(self, body: bytes, content_type: str, signed: bool) -> None:
        headers = {"Content-Type": content_type}
        if signed:
            stamp = int(time.time())
            base = f"v0:{stamp}:".encode() + body
            digest = hmac.new(SECRET.encode(), base, hashlib.sha256).hexdigest()
            headers["X-Slack-Request-Timestamp"] = str(stamp)
            headers["X-Slack-Signature"] = f"v0={digest}"
        started = time.monotonic()
        response = self.http.post("/slack/events", content=body, headers=headers)
        took = time.monotonic() - started
        self.slowest = max(self.slowest, took)
        self.statuses[response.status_code] += 1
        assert response.status_code < 500, (response.status_code, body[:300])
        assert took < ANSWER_WITHIN, (took, body[:300])

    def post_all(self, requests: list[Request]) -> None:
        """Send a batch at once, over as many connections: Slack sends concurrently too."""
        for sent in [self.pool.submit(self.post, *request) for request in requests]:
            sent.result()

    def fuzz(self, one: st.SearchStrategy[Request], batches: int) -> None:
        """Send `batches` batches of requests `one` generates (the same every run); every
        batch must have been sent."""
        before = sum(self.statuses.values())

        @_examples(batches)
        @given(batches_of(one))
        def run(requests: list[Request]) -> None:
            self.post_all(requests)

        run()
        assert sum(self.statuses.values()) - before >= batches * BATCH

    @property
    def tracebacks(self) -> list[str]:
        return [line for line in self.log if "Traceback" in line]


@pytest.fixture(scope="module")
def app(
    database_url: str, fake_slack: FakeSlack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningApp]:
    port = free_port()
    env = web_environment(
        database_url=database_url, slack_api=fake_slack, port=port, workers=1, TANDEM_LEADS="ULEAD"
    )
    server = Running(["-m", "bot"], env=env, cwd=tmp_path_factory.mktemp("fuzz"))
    base = f"http://127.0.0.1:{port}"
    wait_healthy(base, server, timeout=60)
    limits = httpx.Limits(max_keepalive_connections=BATCH)
    with httpx.Client(base_url=base, timeout=10, limits=limits) as http:
        running = RunningApp(http, server.lines)
        yield running
        running.pool.shutdown()
        assert http.get("/healthz").status_code == 200
    server.stop(timeout=20)
    assert running.tracebacks == [], server.log


def _batches(database_url: str, requests: int) -> int:
    """How many batches send `requests` on SQLite, and a share of them on PostgreSQL."""
    share = 1.0 if database_url.startswith("sqlite") else POSTGRES_SHARE
    return max(1, int(requests * share * SCALE) // BATCH)


def _examples(batches: int) -> Any:
    """`batches` examples, the same ones every run, with no example database left on disk."""
    return settings(
        max_examples=batches,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


def batches_of(one: st.SearchStrategy[Request]) -> st.SearchStrategy[list[Request]]:
    return st.lists(one, min_size=BATCH, max_size=BATCH)


# --- what is generated ---------------------------------------------------------------------

_text = st.text(max_size=200)
_long_text = st.builds(
    lambda piece, times: (piece * times)[:SLACK_TEXT],
    st.text(min_size=1, max_size=30),
    st.integers(1, 5_000),
)
command_text = st.builds(
    lambda verb, rest: verb + rest, st.sampled_from(VERBS), st.one_of(_text, _text, _long_text)
)
json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def command_form(name: str, text: str) -> Request:
    form = {
        "token": "legacy",
        "team_id": "T1",
        "team_domain": "t1",
        "channel_id": "C1",
        "channel_name": "sales",
        "user_id": "U1",
        "user_name": "u1",
        "command": name,
        "text": text,
        "api_app_id": "A1",
        "response_url": "https://hooks.slack.invalid/commands/1",
        "trigger_id": "1337.42.abcd",
    }
    return urlencode(form).encode(), FORM_TYPE, True


def view_submission(callback_id: str, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": {"id": "T1", "domain": "t"},
        "user": {"id": "U1", "team_id": "T1"},
        "api_app_id": "A1",
        "trigger_id": "1.2.3",
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": "C1",
            "title": {"type": "plain_text", "text": "Form"},
            "state": {"values": values},
        },
    }


def block_action(action_id: str, value: str) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "team": {"id": "T1", "domain": "t"},
        "user": {"id": "U2", "team_id": "T1"},
        "api_app_id": "A1",
        "trigger_id": "1.2.3",
        "container": {"type": "message", "message_ts": "1.000001", "channel_id": "C1"},
        "channel": {"id": "C1", "name": "leads"},
        "message": {"type": "message", "ts": "1.000001", "text": ""},
        "actions": [{"type": "button", "action_id": action_id, "block_id": "b", "value": value}],
    }


def shortcut(text: str) -> dict[str, Any]:
    return {
        "type": "message_action",
        "callback_id": SHORTCUT,
        "trigger_id": "1.2.3",
        "team": {"id": "T1", "domain": "t"},
        "user": {"id": "U1", "team_id": "T1"},
        "channel": {"id": "C1", "name": "sales"},
        "message_ts": "1.000001",
        "message": {"type": "message", "user": "U3", "ts": "1.000001", "text": text},
    }


def event(inner: dict[str, Any]) -> dict[str, Any]:
    return {
        "token": "legacy",
        "team_id": "T1",
        "api_app_id": "A1",
        "type": "event_callback",
        "event_id": "Ev1",
        "event_time": 1,
        "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}],
        "event": inner,
    }


_ENVELOPES = {"event_callback", "app_rate_limited", "url_verification"}


def as_request(payload: dict[str, Any]) -> Request:
    """Events come as JSON; interactivity as a form with the JSON in `payload`."""
    kind = payload.get("type")
    if isinstance(kind, str) and kind in _ENVELOPES:
        return json.dumps(payload).encode(), JSON_TYPE, True
    return urlencode({"payload": json.dumps(payload)}).encode(), FORM_TYPE, True


_option = st.fixed_dictionaries({"value": _text})
element = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["plain_text_input", "static_select", "checkboxes"]),
        "value": st.one_of(st.none(), _text),
        "selected_option": st.one_of(st.none(), _option),
        "selected_options": st.lists(_option, max_size=3),
        "selected_conversation": st.one_of(st.none(), _text),
        "selected_time": st.one_of(st.none(), _text),
        "selected_user": st.one_of(st.none(), _text),
    },
)
_BLOCKS = [
    *("lead", "score", "reason", "campaign", "kind", "subject", "text", "deal", "outcome"),
    *("amount", "competitor", "url", "title", "tags", "channel", "term", "definition"),
    *("rule", "time", "zone", "agenda", "months", "criteria", "hours", "sla", "secret"),
]
form_values = st.dictionaries(
    st.sampled_from(_BLOCKS), st.fixed_dictionaries({"value": element}), max_size=8
)
home_opened = st.fixed_dictionaries(
    {
        "type": st.just("app_home_opened"),
        "user": st.just("U1"),
        "tab": st.sampled_from(["home", "messages", ""]),
    }
)
well_formed = st.one_of(
    st.builds(view_submission, st.sampled_from(FORMS), form_values),
    st.builds(block_action, st.sampled_from(ACTIONS), _text),
    st.builds(shortcut, _text),
    st.builds(event, home_opened),
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


@st.composite
def damaged(draw: st.DrawFn) -> dict[str, Any]:
    """A well-formed payload with one to three fields removed or given another type."""
    payload: dict[str, Any] = json.loads(json.dumps(draw(well_formed)))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(payload)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = payload
        for step in path[:-1]:
            parent = parent[step]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(json_value)
    return payload


_EVENT_TYPES = ["message", "app_mention", "reaction_added", "team_join", "app_uninstalled"]
_OTHER_TYPES = [*_ENVELOPES, "shortcut", "block_suggestion", "view_closed", "block_actions"]


def unknown(kind: str, fields: dict[str, Any], envelope: str) -> dict[str, Any]:
    payload = event({**fields, "type": kind})
    payload["type"] = envelope
    if envelope == "url_verification":
        payload["challenge"] = kind
    if envelope not in _ENVELOPES:
        payload |= {"user": {"id": "U1"}, "team": {"id": "T1"}, "callback_id": kind}
    return payload


# --- the tests: 3,500 + 2,500 + 2,500 + 1,500 requests on SQLite ------------------------------


def test_command_texts(app: RunningApp, database_url: str) -> None:
    """Any Unicode text up to Slack's length, after any verb, for every command."""
    one = st.builds(command_form, st.sampled_from(COMMANDS), command_text)

    app.fuzz(one, _batches(database_url, 3_500))


def test_malformed_bodies(app: RunningApp, database_url: str) -> None:
    """Bytes, forms and JSON of any shape, under any content type, signed or not."""
    pairs = st.dictionaries(st.text(max_size=12), st.text(max_size=40), max_size=6)
    bodies = st.one_of(
        st.binary(max_size=300),
        st.builds(lambda form: urlencode(form).encode(), pairs),
        st.builds(lambda value: urlencode({"payload": json.dumps(value)}).encode(), json_value),
        st.builds(lambda t: b"payload=" + t.encode("utf-8", "surrogatepass"), st.text(max_size=60)),
        st.builds(lambda value: json.dumps(value).encode(), json_value),
        st.builds(lambda t: t.encode("utf-8", "surrogatepass"), st.text(max_size=100)),
    )
    types = st.sampled_from([FORM_TYPE, JSON_TYPE, "text/plain", ""])

    app.fuzz(st.tuples(bodies, types, st.booleans()), _batches(database_url, 2_500))


def test_interactions_missing_or_mistyped_fields(app: RunningApp, database_url: str) -> None:
    """Forms, clicks, the shortcut and the Home tab event, whole or with fields broken."""
    one = st.one_of(well_formed, damaged(), damaged()).map(as_request)

    app.fuzz(one, _batches(database_url, 2_500))


def test_unknown_events(app: RunningApp, database_url: str) -> None:
    """Events and payload types Tandem does not listen for are answered, not failed on."""
    kinds = st.one_of(st.text(max_size=20), st.sampled_from(_EVENT_TYPES))
    fields = st.dictionaries(st.text(max_size=8), json_value, max_size=3)
    one = st.builds(unknown, kinds, fields, st.sampled_from(_OTHER_TYPES)).map(as_request)

    app.fuzz(one, _batches(database_url, 1_500))
