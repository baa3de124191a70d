"""Tandem's Slack clients retry rate limits and server errors against the fake Web API."""

from __future__ import annotations

import socket
import time
from urllib.error import URLError

import aiohttp
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from bot.slack import SafeConnectionErrorRetryHandler, async_web_client, never_sent, web_client
from tests.fake_slack import DROP, TAKE_AND_DROP, FakeSlack


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
    """Any 5xx answer, a gateway's 502 and 504 too, is retried with backoff until Slack answers
    (to a call that is harmless to repeat)."""
    slack_api.fail("chat.update", 502)
    slack_api.fail("chat.update", 504)
    client = web_client(token="xoxb-test", base_url=slack_api.url)
    assert client.chat_update(channel="C1", ts="1.2", text="hi")["ok"]
    assert slack_api.attempts("chat.update") == 3


def test_dropped_connections_are_retried(slack_api: FakeSlack) -> None:
    """A connection closed without an answer is retried where repeating the call is harmless."""
    slack_api.fail("chat.update", DROP)
    client = web_client(token="xoxb-test", base_url=slack_api.url)
    assert client.chat_update(channel="C1", ts="1.2", text="hi")["ok"]
    assert slack_api.attempts("chat.update") == 2


def test_a_post_whose_answer_was_lost_is_not_repeated(slack_api: FakeSlack) -> None:
    """Slack took the post and the connection dropped: the call fails, and nothing is posted
    twice (the caller decides what to do; the clock looks for the post first)."""
    slack_api.fail("chat.postMessage", TAKE_AND_DROP)
    client = web_client(token="xoxb-test", base_url=slack_api.url)
    with pytest.raises(OSError):
        client.chat_postMessage(channel="C1", text="hi")
    assert slack_api.attempts("chat.postMessage") == 1


def test_a_server_error_to_a_post_is_not_repeated(slack_api: FakeSlack) -> None:
    """A 5xx does not prove Slack did not post: a post is not repeated on one."""
    slack_api.fail("chat.postMessage", 503)
    client = web_client(token="xoxb-test", base_url=slack_api.url)
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C1", text="hi")
    assert slack_api.attempts("chat.postMessage") == 1


def test_a_post_that_never_connected_is_retried() -> None:
    """A refused connection proves nothing reached Slack: that is the one failure a post
    is retried on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    refused = URLError(ConnectionRefusedError(111, "Connection refused"))
    assert never_sent(refused)
    assert not never_sent(ConnectionResetError(104, "reset"))
    wait = FixedValueRetryIntervalCalculator(fixed_internal=0.5)
    handler = SafeConnectionErrorRetryHandler(max_retry_count=1, interval_calculator=wait)
    client = WebClient(base_url=f"http://127.0.0.1:{port}/api/", retry_handlers=[handler])
    started = time.monotonic()
    with pytest.raises(URLError):
        client.chat_postMessage(channel="C1", text="hi")
    assert time.monotonic() - started >= 0.5  # it waited and tried again


async def test_async_post_whose_answer_was_lost_is_not_repeated(slack_api: FakeSlack) -> None:
    """The web process's client does not repeat a post Slack may have taken either."""
    slack_api.fail("chat.postMessage", TAKE_AND_DROP)
    client = async_web_client(token="xoxb-test", base_url=slack_api.url)
    with pytest.raises(aiohttp.ClientError):
        await client.chat_postMessage(channel="C1", text="hi")
    assert slack_api.attempts("chat.postMessage") == 1
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
