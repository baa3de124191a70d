"""Tandem's Slack clients retry rate limits and server errors against the fake Web API."""

from __future__ import annotations

import time

from bot.slack import async_web_client, web_client
from tests.fake_slack import DROP, FakeSlack


def test_rate_limit_waits_for_retry_after(slack_api: FakeSlack) -> None:
    """A 429 with Retry-After: 1 is retried after about a second, and the post lands once."""
    slack_api.fail("chat.postMessage", 429, retry_after=1)
    client = web_client(token="xoxb-test", base_url=slack_api.url)
    started = time.monotonic()
    assert client.chat_postMessage(channel="C1", text="hi")["ok"]
    assert time.monotonic() - started >= 1.0
    assert slack_api.attempts("chat.postMessage") == 2
    assert len(slack_api.sent("chat.postMessage")) == 1


def test_server_errors_are_retried(slack_api: FakeSlack) -> None:
    """Any 5xx answer, a gateway's 502 and 504 too, is retried with backoff until Slack answers."""
    slack_api.fail("chat.postMessage", 502)
    slack_api.fail("chat.postMessage", 504)
    client = web_client(token="xoxb-test", base_url=slack_api.url)
    assert client.chat_postMessage(channel="C1", text="hi")["ok"]
    assert slack_api.attempts("chat.postMessage") == 3


def test_dropped_connections_are_retried(slack_api: FakeSlack) -> None:
    """A connection closed without an answer is retried, and the post lands once."""
    slack_api.fail("chat.postMessage", DROP)
    client = web_client(token="xoxb-test", base_url=slack_api.url)
    assert client.chat_postMessage(channel="C1", text="hi")["ok"]
    assert slack_api.attempts("chat.postMessage") == 2
    assert len(slack_api.sent("chat.postMessage")) == 1


async def test_async_client_retries_too(slack_api: FakeSlack) -> None:
    """The web process's asyncio client retries a 429, a 503 and a dropped connection too."""
    slack_api.fail("views.publish", 429, retry_after=1)
    slack_api.fail("views.publish", 503)
    slack_api.fail("views.publish", DROP)
    client = async_web_client(token="xoxb-test", base_url=slack_api.url)
    view = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}],
    }
    response = await client.views_publish(user_id="U1", view=view)
    assert response["ok"]
    assert slack_api.attempts("views.publish") == 4
