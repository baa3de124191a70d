"""Redelivered events and repeated clicks or submissions never store anything twice."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine

from handlers.collateral.views import REPEATED
from storage.models import Collateral, CollateralVote, Receipt
from tests.fake_slack import FakeSlack
from tests.forms import check_view
from tests.slack_client import SignedSlack
from tests.test_collateral import (
    EXAMPLE,
    announce,
    count,
    counts_shown,
    form_submission,
    vote_click,
)
from tests.test_home import home_opened

RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}


async def test_same_vote_twice_counts_once(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """The same vote click delivered twice leaves one vote and the counts unchanged."""
    click = vote_click(await announce(slack, slack_api), "helpful", user="U2")
    for _ in range(2):
        response = await slack.interaction(click)
        assert response.status_code == 200
    assert count(engine, CollateralVote) == 1
    first, second = slack_api.sent("chat.update")
    expected = "1 helpful · 0 not helpful · 0 used in a deal"
    assert counts_shown(first) == counts_shown(second) == expected
    assert "stays *Helpful*" in slack_api.sent("chat.postEphemeral")[-1]["text"]


async def test_double_click_at_once_counts_once(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """Two deliveries of one click arriving together still make one vote."""
    click = vote_click(await announce(slack, slack_api), "used", user="U2")
    responses = await asyncio.gather(slack.interaction(click), slack.interaction(click))
    assert [r.status_code for r in responses] == [200, 200]
    assert count(engine, CollateralVote) == 1
    assert counts_shown(slack_api.sent("chat.update")[-1]).endswith("1 used in a deal")


async def test_same_submission_twice_shares_once(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """The same view_submission delivered twice stores and announces one item."""
    submission = form_submission(url="https://x.io/deck", title="Deck", view_id="V7")
    first = await slack.interaction(submission)
    second = await slack.interaction(submission)
    assert first.json()["response_action"] == second.json()["response_action"] == "update"
    check_view(second.json()["view"])
    assert REPEATED in second.json()["view"]["blocks"][0]["text"]["text"]
    assert count(engine, Collateral) == 1 and count(engine, Receipt) == 1
    assert len(slack_api.sent("chat.postMessage")) == 1


async def test_submissions_at_once_share_once(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """Two deliveries of one submission arriving together store and announce one item."""
    submission = form_submission(url="https://x.io/deck", title="Deck", view_id="V8")
    await asyncio.gather(slack.interaction(submission), slack.interaction(submission))
    assert count(engine, Collateral) == 1
    assert len(slack_api.sent("chat.postMessage")) == 1


async def test_different_forms_are_different_items(slack: SignedSlack, engine: Engine) -> None:
    """Two forms (two view ids) with the same content are two shares, not a retry."""
    for view_id in ("V1", "V2"):
        await slack.interaction(form_submission(url="https://x.io/a", title="A", view_id=view_id))
    assert count(engine, Collateral) == 2


async def test_redelivered_event_republishes(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine
) -> None:
    """An app_home_opened redelivered with X-Slack-Retry-Num is accepted and stores nothing."""
    await slack.command("/collateral", EXAMPLE)
    before = [count(engine, model) for model in (Collateral, CollateralVote, Receipt)]
    first = await slack.event(home_opened(), event_id="Ev9")
    again = await slack.event(home_opened(), event_id="Ev9", headers=RETRY)
    assert first.status_code == again.status_code == 200
    one, two = slack_api.sent("views.publish")
    sections = [[b for b in p["view"]["blocks"] if b["type"] == "section"] for p in (one, two)]
    assert sections[0] == sections[1]
    check_view(two["view"])
    assert [count(engine, model) for model in (Collateral, CollateralVote, Receipt)] == before
