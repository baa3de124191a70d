"""Lead handoff end to end: the webhook, the card, accept and reject, stats, SLA reminders."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from bot.app import create_web
from bot.config import Settings
from bot.services import Services
from bot.slack import web_client
from core.cards import ACCEPT, RATE, REJECT
from core.handoff_posts import run_handoffs
from handlers.handoff import REJECT_FORM, SETUP_FORM
from handlers.handoff.hook import token_hash
from handlers.lead import FORM as LEAD_FORM
from scheduler.agenda import build_agenda
from storage.db import Database, make_engine, session_scope
from storage.handoffs import accept as accept_lead
from storage.handoffs import update_setup
from storage.intake import UNKNOWN, Incoming, NewHandoff, Received, receive_many
from storage.models import Handoff, HandoffPost, HandoffSetup, LeadRating
from tests.clock import NOW, SetClock
from tests.factories import add_handoff, make_cadence
from tests.fake_slack import FakeSlack
from tests.forms import block_action, text_value, view_submission
from tests.slack_client import SignedSlack, reply_text

LEAD = {
    "lead": "ACME-42",
    "name": "Dana Ruiz",
    "company": "Acme Corp",
    "email": "dana@acme.example",
    "campaign": "Q3 webinar",
    "segment": "enterprise",
    "score": 87,
    "url": "https://crm.example.com/leads/42",
    "notes": "asked for a demo",
}


async def set_up(slack: SignedSlack, slack_api: FakeSlack, options: str = "sla:4h") -> str:
    """A lead makes C7 the handoff channel; the webhook secret they were shown."""
    await slack.command("/handoff", f"set {options}", user="ULEAD", channel="C7")
    shown = reply_text(await slack.command("/handoff", "token", user="ULEAD", channel="C7"))
    token = re.search(r"tdm_[A-Za-z0-9_-]+", shown)
    assert token is not None, shown
    slack_api.reset()
    return token[0]


async def hand_over(
    slack: SignedSlack, token: str, body: Any = None, **headers: str
) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(LEAD if body is None else body)
    sent = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", **headers}
    return await slack.http.post("/hooks/leads", content=content, headers=sent)


async def posted_cards(slack_api: FakeSlack, count: int = 1) -> list[dict[str, Any]]:
    """The cards posted so far, waiting up to 2 s for `count` of them."""
    for _ in range(40):
        cards = [m for m in slack_api.sent("chat.postMessage") if "thread_ts" not in m]
        if len(cards) >= count:
            return cards
        await asyncio.sleep(0.05)
    return [m for m in slack_api.sent("chat.postMessage") if "thread_ts" not in m]


def shown(blocks: Any) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def rows(engine: Engine, model: Any) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def card_claim(engine: Engine) -> HandoffPost:
    with Session(engine) as session:
        return session.scalars(select(HandoffPost)).one()


def card_of(engine: Engine) -> Handoff:
    with Session(engine) as session:
        return session.scalars(select(Handoff).order_by(Handoff.id)).all()[-1]  # type: ignore[arg-type]


async def test_a_lead_becomes_a_card_once(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """A lead sent with the secret is answered 202 and posted as a card; the same again is 200
    with the same id and posts nothing; a wrong secret is 401 and stores nothing."""
    token = await set_up(slack, slack_api)
    first = await hand_over(slack, token)
    assert first.status_code == 202 and first.json() == {"ok": True, "handoff": 1}
    [card] = await posted_cards(slack_api)
    assert card["channel"] == "C7"
    text = shown(card["blocks"])
    for value in ("ACME-42", "Dana Ruiz", "Acme Corp", "Q3 webinar", "87", "asked for a demo"):
        assert value in text
    buttons = next(b for b in card["blocks"] if b["type"] == "actions")["elements"]
    assert [b["text"]["text"] for b in buttons] == ["Accept", "Reject…", "Open in CRM"]
    assert buttons[2]["url"] == LEAD["url"]
    again = await hand_over(slack, token)
    assert again.status_code == 200 and again.json() == {"ok": True, "handoff": 1}
    wrong = await hand_over(slack, "tdm_not-the-secret", {"lead": "OTHER-1"})
    assert wrong.status_code == 401 and "Bearer" in wrong.json()["error"]
    await asyncio.sleep(0.2)
    assert len(await posted_cards(slack_api)) == 1
    assert rows(engine, Handoff) == 1


async def test_a_new_token_retires_the_old_one(slack: SignedSlack, slack_api: FakeSlack) -> None:
    """`/handoff token` shows a new secret each time; only a hash is kept; the old one is 401."""
    old = await set_up(slack, slack_api)
    new = await set_up(slack, slack_api)
    assert old != new
    assert (await hand_over(slack, old)).status_code == 401
    assert (await hand_over(slack, new)).status_code == 202
    assert len(await posted_cards(slack_api)) == 1


async def test_only_a_hash_of_the_secret_is_stored(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """The database holds the secret's SHA-256, never the secret."""
    token = await set_up(slack, slack_api)
    with Session(engine) as session:
        setup = session.scalars(select(HandoffSetup)).one()
    assert setup.token_hash is not None and token not in setup.token_hash
    assert len(setup.token_hash) == 64


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"{not json", 400, "not JSON"),
        ([1, 2, 3], 400, "JSON object"),
        ({"name": "Dana"}, 422, "“lead”"),
        ({"lead": "A-1", "score": "high"}, 422, "“score”"),
        ({"lead": "A-1", "company": ["Acme"]}, 422, "“company”"),
        ({"lead": "A-1", "url": "javascript:alert(1)"}, 422, "“url”"),
        ({"lead": "A-1", "notes": "x" * 70_000}, 413, "64 KB"),
    ],
)
async def test_bad_bodies_are_refused_and_change_nothing(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine, body: Any, status: int, words: str
) -> None:
    """Each bad body gets its status and a message naming what is wrong; nothing is stored."""
    token = await set_up(slack, slack_api)
    answer = await hand_over(slack, token, body)
    assert answer.status_code == status
    assert words in answer.json()["error"]
    assert rows(engine, Handoff) == 0


async def test_no_secret_and_no_channel(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """Without a bearer secret: 401. After `/handoff off`: 409. Neither stores anything."""
    token = await set_up(slack, slack_api)
    bare = await slack.http.post("/hooks/leads", json=LEAD)
    assert bare.status_code == 401
    await slack.command("/handoff", "off", user="ULEAD", channel="C7")
    assert (await hand_over(slack, token)).status_code == 409
    assert rows(engine, Handoff) == 0


async def test_idempotency_key_decides(slack: SignedSlack, slack_api: FakeSlack) -> None:
    """With an Idempotency-Key the key, not the lead, makes a request a repeat."""
    token = await set_up(slack, slack_api)
    a = await hand_over(slack, token, **{"Idempotency-Key": "k1"})
    b = await hand_over(slack, token, **{"Idempotency-Key": "k2"})
    c = await hand_over(slack, token, **{"Idempotency-Key": "k1"})
    assert (a.status_code, b.status_code, c.status_code) == (202, 202, 200)
    assert a.json()["handoff"] == c.json()["handoff"] != b.json()["handoff"]
    assert len(await posted_cards(slack_api, 2)) == 2


async def test_webhook_values_are_text_not_markup(slack: SignedSlack, slack_api: FakeSlack) -> None:
    """Mentions, links and formatting in webhook fields reach Slack only as plain_text."""
    token = await set_up(slack, slack_api)
    evil = {
        "lead": "<!channel>",
        "name": "*bold* <@U999>",
        "company": "<https://evil.example|click>",
        "notes": "_hi_ `x` <!here>",
    }
    assert (await hand_over(slack, token, evil)).status_code == 202
    [card] = await posted_cards(slack_api)

    def texts(node: Any) -> list[dict[str, Any]]:
        if isinstance(node, dict):
            found = [node] if node.get("type") in ("plain_text", "mrkdwn") else []
            return found + [t for v in node.values() for t in texts(v)]
        if isinstance(node, list):
            return [t for v in node for t in texts(v)]
        return []

    for text in texts(card["blocks"]):
        if any(v in text["text"] for v in ("<!channel>", "<@U999>", "*bold*", "<https://evil")):
            assert text["type"] == "plain_text"
    assert "<!channel>" not in card["text"] and "&lt;!channel&gt;" in card["text"]


async def accept(slack: SignedSlack, card: dict[str, Any], user: str) -> httpx.Response:
    return await slack.interaction(
        block_action(
            ACCEPT, "1", channel=card["channel"], message_ts="1700000000.000001", user=user
        )
    )


async def test_first_accept_owns_the_lead(
    slack: SignedSlack, slack_api: FakeSlack, clock: SetClock
) -> None:
    """The first rep to accept owns the lead and the card says so; the second is told who has it;
    `/handoff stats` shows the accept with its minutes."""
    token = await set_up(slack, slack_api)
    await hand_over(slack, token)
    [card] = await posted_cards(slack_api)
    clock.advance(timedelta(minutes=23))
    assert (await accept(slack, card, "U2")).status_code == 200
    [update] = slack_api.sent("chat.update")
    assert "Accepted by <@U2> in 23 min" in shown(update["blocks"])
    assert "Rate…" in shown(update["blocks"]) and "Reject…" not in shown(update["blocks"])
    await accept(slack, card, "U3")
    [told] = slack_api.sent("chat.postEphemeral")
    assert told["user"] == "U3" and "already accepted by <@U2>" in told["text"]
    assert len(slack_api.sent("chat.update")) == 1
    stats = reply_text(await slack.command("/handoff", "stats", user="U4"))
    assert "1 lead handed over · 1 accepted · 0 rejected · 0 open" in stats
    assert "median time to accept 23 min" in stats and "within the SLA 100%" in stats


async def test_two_accepts_at_once_one_wins(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """Two reps clicking Accept at the same moment: exactly one owns the lead."""
    token = await set_up(slack, slack_api)
    await hand_over(slack, token)
    [card] = await posted_cards(slack_api)
    await asyncio.gather(accept(slack, card, "U2"), accept(slack, card, "U3"))
    assert len(slack_api.sent("chat.update")) == 1
    assert len(slack_api.sent("chat.postEphemeral")) == 1
    owner = card_of(engine).decided_by
    assert owner in ("U2", "U3")
    assert slack_api.sent("chat.postEphemeral")[0]["user"] != owner


async def test_a_rejection_is_a_rating_of_one(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """Reject… opens a form; its reason and criteria show on the card and count in
    `/lead stats` as a rating of 1; a too-short reason is refused in the form."""
    token = await set_up(slack, slack_api)
    await hand_over(slack, token)
    await posted_cards(slack_api)
    await slack.interaction(
        block_action(REJECT, "1", channel="C7", message_ts="1700000000.000001", user="U2")
    )
    [opened] = slack_api.sent("views.open")
    assert opened["view"]["callback_id"] == REJECT_FORM
    short = view_submission(REJECT_FORM, {"reason": text_value("bad")}, user="U2", metadata="1")
    refused = await slack.interaction(short)
    assert refused.json()["response_action"] == "errors" and rows(engine, LeadRating) == 0
    values = {
        "reason": text_value("No budget until next fiscal year"),
        "unmet": {"type": "checkboxes", "selected_options": [{"value": "budget"}]},
    }
    done = await slack.interaction(view_submission(REJECT_FORM, values, user="U2", metadata="1"))
    assert done.json()["response_action"] == "update"
    [update] = slack_api.sent("chat.update")
    text = shown(update["blocks"])
    assert "Rejected by <@U2>" in text and "No budget until next fiscal year" in text
    assert "not met: budget" in text
    stats = reply_text(await slack.command("/lead", "stats", user="U4"))
    assert "1 rating, average *1.0*/5" in stats and "budget (1)" in stats


def _clock_client(slack_api: FakeSlack) -> Any:
    return web_client(token="xoxb-test", base_url=slack_api.url)


async def test_one_sla_reminder_in_the_thread(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine, clock: SetClock
) -> None:
    """A lead left alone past its SLA gets one reminder in its card's thread, also with two
    clocks; the card is marked overdue."""
    token = await set_up(slack, slack_api)
    await hand_over(slack, token)
    await posted_cards(slack_api)
    start = clock.now
    client = _clock_client(slack_api)
    assert run_handoffs(
        engine=engine, client=client, now=start + timedelta(hours=3, minutes=59)
    ) == (0, 0)
    late = start + timedelta(hours=4)
    results: list[tuple[int, int]] = []
    clocks = [
        threading.Thread(
            target=lambda: results.append(run_handoffs(engine=engine, client=client, now=late))
        )
        for _ in range(2)
    ]
    for thread in clocks:
        thread.start()
    for thread in clocks:
        thread.join()
    assert sorted(r[1] for r in results) == [0, 1]
    assert run_handoffs(engine=engine, client=client, now=late + timedelta(hours=1)) == (0, 0)
    [reminder] = [m for m in slack_api.sent("chat.postMessage") if "thread_ts" in m]
    assert reminder["thread_ts"] == "1700000000.000001" or reminder["thread_ts"]
    assert "ACME-42 has waited 4 h — the SLA is 4 h" in shown(reminder["blocks"])
    [marked] = slack_api.sent("chat.update")
    assert "Overdue" in shown(marked["blocks"])
    assert rows(engine, HandoffPost) == 2  # the card and the one reminder


async def test_working_hours_pause_the_sla(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine, clock: SetClock
) -> None:
    """With working hours set, a lead handed over on Friday evening is not overdue on Saturday,
    and is on Monday once four working hours have passed."""
    clock.now = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)  # a Friday, 17:00 UTC
    token = await set_up(slack, slack_api, "sla:4h hours:mon-fri 09:00-18:00 UTC")
    await hand_over(slack, token)
    await posted_cards(slack_api)
    client = _clock_client(slack_api)
    saturday = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    assert run_handoffs(engine=engine, client=client, now=saturday) == (0, 0)
    monday_early = datetime(2026, 11, 23, 11, 59, tzinfo=UTC)
    assert run_handoffs(engine=engine, client=client, now=monday_early) == (0, 0)
    monday = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert run_handoffs(engine=engine, client=client, now=monday) == (0, 1)


async def test_a_card_slack_refused_is_posted_later_once(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine, clock: SetClock
) -> None:
    """When Slack keeps answering 429, the webhook still answers 202; the clock posts the card
    once Slack is back, exactly once."""
    token = await set_up(slack, slack_api)
    slack_api.fail("chat.postMessage", 429, times=1000, retry_after=0)
    assert (await hand_over(slack, token)).status_code == 202
    for _ in range(200):  # the web process tries, with backoff, then gives the card back
        await asyncio.sleep(0.1)
        if card_claim(engine).attempts == 1 and slack_api.attempts("chat.postMessage") >= 5:
            break
    await asyncio.sleep(0.5)
    assert await posted_cards(slack_api, 0) == []
    slack_api.heal()
    client = _clock_client(slack_api)
    later = clock.now + timedelta(minutes=2)
    assert run_handoffs(engine=engine, client=client, now=later) == (1, 0)
    assert run_handoffs(engine=engine, client=client, now=later + timedelta(minutes=5)) == (0, 0)
    assert len(await posted_cards(slack_api)) == 1
    assert card_of(engine).message_ts is not None


async def test_only_leads_change_the_setup(slack: SignedSlack, slack_api: FakeSlack) -> None:
    """A rep may see status and stats, but not set up, turn off or take the token."""
    slack_api.add_user("U5")
    for verb in ("set sla:4h", "off", "token", "notify https://crm.example.com/hook"):
        answer = reply_text(await slack.command("/handoff", verb, user="U5", channel="C7"))
        assert "Only workspace admins and owners" in answer
    assert "not set up" in reply_text(await slack.command("/handoff", "status", user="U5"))
    assert slack_api.sent("chat.postMessage") == []


def _handed(engine: Engine, lead: str, *, at: datetime, accepted_after: timedelta) -> None:
    """A lead handed over at `at` and accepted `accepted_after` later, through storage."""
    with session_scope(engine) as session:
        handoff_id = add_handoff(
            session=session, token_hash=token_hash("tdm_agenda"), lead=lead, at=at
        )
    with session_scope(engine) as session:
        accept_lead(
            session=session,
            team_id="T1",
            handoff_id=handoff_id,
            user_id="U2",
            now=at + accepted_after,
        )


def test_agendas_carry_handoffs_and_a_slower_pickup_is_a_big_change(engine: Engine) -> None:
    """The monthly agenda's thread has the handoff measures, and a median time to accept that
    went from 20 min to 3 h is among the biggest changes at the top."""
    with session_scope(engine) as session:
        update_setup(
            session=session,
            team_id="T1",
            now=NOW,
            channel_id="C7",
            token_hash=token_hash("tdm_agenda"),
        )
        cadence = make_cadence(session=session, now=NOW - timedelta(days=90))
    meeting = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # first Tuesday, 10:00 New York
    for n in range(3):
        _handed(
            engine,
            f"OCT-{n}",
            at=datetime(2026, 10, 12 + n, 14, tzinfo=UTC),
            accepted_after=timedelta(minutes=20),
        )
        _handed(
            engine,
            f"NOV-{n}",
            at=datetime(2026, 11, 9 + n, 14, tzinfo=UTC),
            accepted_after=timedelta(hours=3),
        )
    with Session(engine) as session:
        agenda = build_agenda(session=session, cadence=cadence, occurrence=meeting, now=NOW)
    top = shown(agenda.blocks)
    assert "Median time to accept a lead ▲ rose to *3 h* (from 20 min)" in top
    assert "*Handoffs*" in top
    thread = shown(agenda.thread)
    assert "Lead handoffs" in thread
    assert "3 leads handed over · 3 accepted · 0 rejected · 0 open" in thread
    assert "median time to accept 3 h" in thread


async def test_setup_status_notify_and_help(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """`set` with working hours is confirmed and noted in the channel; `status` shows it;
    `notify` shows its signing secret once and refuses a non-web address; `help` shows usage."""
    answer = reply_text(
        await slack.command(
            "/handoff",
            "set sla:2h hours:mon-fri 09:00-17:30 Europe/Berlin",
            user="ULEAD",
            channel="C7",
        )
    )
    assert "posted in <#C7>" in answer and "within 2 h" in answer
    assert "mon-fri 09:00-17:30 Europe/Berlin" in answer
    [note] = slack_api.sent("chat.postMessage")
    assert note["channel"] == "C7" and "<@ULEAD> made this the lead handoff channel" in note["text"]
    status = reply_text(await slack.command("/handoff", "status", user="U5"))
    assert "Leads go to <#C7>, SLA 2 h" in status and "none yet" in status
    bad = reply_text(await slack.command("/handoff", "notify ftp://crm.example.com", user="ULEAD"))
    assert "is not a web address" in bad
    shown_once = reply_text(
        await slack.command("/handoff", "notify https://crm.example.com/hook", user="ULEAD")
    )
    secret = re.search(r"`([0-9a-f]{64})`", shown_once)
    assert secret is not None
    with Session(engine) as session:
        setup = session.scalars(select(HandoffSetup)).one()
    assert (setup.notify_url, setup.notify_secret) == ("https://crm.example.com/hook", secret[1])
    assert "Events go to https://crm.example.com/hook" in reply_text(
        await slack.command("/handoff", "status", user="U5")
    )
    assert "no longer sent" in reply_text(
        await slack.command("/handoff", "notify off", user="ULEAD")
    )
    assert "`/handoff set sla:4h" in reply_text(await slack.command("/handoff", "help"))


@pytest.mark.parametrize(
    "text",
    [
        "set sla:0h",
        "set sla:4x",
        "set hours:mon-fri",
        "set hours:mon-fry 09:00-18:00",
        "set sla:4h weekly",
    ],
)
async def test_bad_setups_are_refused(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine, text: str
) -> None:
    """A bad SLA or working hours gets what was wrong and the usage; nothing is stored."""
    answer = reply_text(await slack.command("/handoff", text, user="ULEAD", channel="C7"))
    assert "/handoff set sla:4h" in answer
    assert rows(engine, HandoffSetup) == 0
    assert slack_api.sent("chat.postMessage") == []


async def test_the_form_sets_it_up_and_dms_are_refused(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """`/handoff` alone opens the setup form; submitting it sets the channel up; from a DM
    the handoff is not set up."""
    await slack.command("/handoff", user="ULEAD", channel="C7")
    [opened] = slack_api.sent("views.open")
    assert opened["view"]["callback_id"] == SETUP_FORM
    form = view_submission(
        SETUP_FORM,
        {"sla": text_value("90m"), "hours": text_value(None)},
        user="ULEAD",
        metadata="C7",
    )
    done = await slack.interaction(form)
    assert done.json()["response_action"] == "update"
    with Session(engine) as session:
        setup = session.scalars(select(HandoffSetup)).one()
    assert (setup.channel_id, setup.sla_minutes) == ("C7", 90)
    dm = reply_text(await slack.command("/handoff", "set sla:4h", user="ULEAD", channel="D1"))
    assert "not from a DM" in dm


async def test_the_webhook_never_waits_on_slack(slack: SignedSlack, slack_api: FakeSlack) -> None:
    """While Slack holds every answer for the channel, the webhook still answers at once;
    the card is posted when Slack answers."""
    token = await set_up(slack, slack_api)
    gate = slack_api.hold("C7")
    started = time.monotonic()
    answer = await hand_over(slack, token)
    assert answer.status_code == 202 and time.monotonic() - started < 1
    assert await posted_cards(slack_api, 0) == []
    gate.set()
    assert len(await posted_cards(slack_api)) == 1


async def test_rate_opens_the_lead_form_prefilled(slack: SignedSlack, slack_api: FakeSlack) -> None:
    """After an accept, Rate… opens `/lead`'s form with the lead and campaign filled in."""
    token = await set_up(slack, slack_api)
    await hand_over(slack, token)
    [card] = await posted_cards(slack_api)
    await accept(slack, card, "U2")
    await slack.interaction(
        block_action(RATE, "1", channel="C7", message_ts="1700000000.000001", user="U2")
    )
    [opened] = slack_api.sent("views.open")
    assert opened["view"]["callback_id"] == LEAD_FORM
    initial = {
        block["block_id"]: block["element"].get("initial_value")
        for block in opened["view"]["blocks"]
        if block["type"] == "input"
    }
    assert initial["lead"] == "ACME-42" and initial["campaign"] == "Q3 webinar"


async def test_a_database_outage_is_503_not_a_traceback(settings: Settings) -> None:
    """With the database down the webhook answers 503 with Retry-After, saying nothing was
    stored, so the sender tries again."""
    db = Database(make_engine("postgresql://postgres@127.0.0.1:1/nowhere"))
    web = create_web(services=Services(settings=settings, db=db))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=web), base_url="http://tandem.test"
    ) as http:
        answer = await hand_over(SignedSlack(http), "tdm_anything")
    db.writer.close()
    assert answer.status_code == 503 and answer.headers["retry-after"] == "30"
    assert "nothing was stored" in answer.json()["error"]


async def test_a_body_sent_in_chunks_is_bounded(slack: SignedSlack, slack_api: FakeSlack) -> None:
    """A body streamed without Content-Length is read no further than 64 KB: 413."""
    token = await set_up(slack, slack_api)

    async def chunks() -> Any:
        for _ in range(100):
            yield b"x" * 1024

    answer = await slack.http.post(
        "/hooks/leads", content=chunks(), headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 413


def test_a_batch_stores_each_lead_once(engine: Engine) -> None:
    """In one batch the same lead twice is one handoff; an Idempotency-Key makes its own; a
    lead still open from an earlier batch is a repeat; an unknown secret is refused."""
    with session_scope(engine) as session:
        update_setup(
            session=session,
            team_id="T1",
            now=NOW,
            channel_id="C7",
            token_hash=token_hash("tdm_batch"),
        )

    def arriving(lead: str, key: str | None = None, secret: str = "tdm_batch") -> Incoming:
        return Incoming(
            token_hash(secret),
            NewHandoff(lead_ref=lead),
            key,
            NOW,
            lambda setup: NOW + timedelta(hours=4),
            timedelta(minutes=1),
        )

    with session_scope(engine) as session:
        first = receive_many(
            session,
            [
                arriving("A-1"),
                arriving("a-1"),
                arriving("A-1", "k1"),
                arriving("B-2"),
                arriving("C-3", secret="tdm_other"),
            ],
        )
    with session_scope(engine) as session:
        second = receive_many(session, [arriving("A-1"), arriving("A-1", "k1")])
    a, a_again, keyed, b, unknown = first
    assert isinstance(a, Received) and isinstance(a_again, Received)
    assert isinstance(keyed, Received) and isinstance(b, Received)
    assert (a.created, a_again.created, keyed.created, b.created) == (True, False, True, True)
    assert a_again.handoff_id == a.handoff_id != keyed.handoff_id
    assert unknown == UNKNOWN
    assert [(o.handoff_id, o.created) for o in second if isinstance(o, Received)] == [
        (a.handoff_id, False),
        (keyed.handoff_id, False),
    ]
    assert rows(engine, Handoff) == 3 and rows(engine, HandoffPost) == 3
