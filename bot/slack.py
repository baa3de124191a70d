"""Slack Web API clients that retry 429 (after Retry-After), 5xx and dropped connections.

Except where a retry could post twice: a call that posts (`chat.postMessage`, a file's
share) is retried only when the answer proves nothing was done, a 429 or a connection
that was never made. After the request went out, a dropped connection, a timeout or a 5xx
says nothing about whether Slack posted it, so the call fails and its caller decides
(the clock looks for the earlier post first: scheduler.posting).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any
from urllib.error import URLError

import aiohttp
from slack_sdk import WebClient
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient

RETRIES = 4
BACKOFF = BackoffRetryIntervalCalculator(backoff_factor=0.5)
# Methods that post: repeating one whose request reached Slack can show the post twice.
POSTING = frozenset(
    {
        "chat.postMessage",
        "chat.postEphemeral",
        "chat.scheduleMessage",
        "files.upload",
        "files.completeUploadExternal",
    }
)

SlackFor = Callable[[str], AsyncWebClient]
"""Which client speaks to Slack for a workspace (team id). The one place that decides it,
so per-workspace tokens change this and nothing that posts."""


def method_of(request: Any) -> str:
    """The Web API method a retry handler's request calls, e.g. "chat.postMessage"."""
    return str(request.url).split("?")[0].rstrip("/").rsplit("/", 1)[-1]


def never_sent(error: BaseException | None) -> bool:
    """Whether a failed call provably never reached Slack: the connection was not made."""
    if isinstance(error, aiohttp.ClientConnectorError):
        return True
    reason = error.reason if isinstance(error, URLError) else None
    return isinstance(reason, ConnectionRefusedError | socket.gaierror)


def _any_5xx(request: Any, response: Any) -> bool:
    # The built-in handler retries only 500 and 503; a gateway's 502 or 504 is as passing.
    # A 5xx to a post does not prove that nothing was posted: that one is not retried.
    passing = response is not None and 500 <= response.status_code <= 599
    return passing and method_of(request) not in POSTING


def _connection_retryable(request: Any, error: BaseException | None) -> bool:
    return method_of(request) not in POSTING or never_sent(error)


class AnyServerErrorRetryHandler(ServerErrorRetryHandler):
    """Retries every 5xx answer with exponential backoff and jitter, except to a post."""

    def _can_retry(
        self, *, state: Any, request: Any, response: Any = None, error: Any = None
    ) -> bool:
        return _any_5xx(request, response)


class AsyncAnyServerErrorRetryHandler(AsyncServerErrorRetryHandler):
    """Retries every 5xx answer with exponential backoff and jitter, except to a post."""

    async def _can_retry_async(
        self, *, state: Any, request: Any, response: Any = None, error: Any = None
    ) -> bool:
        return _any_5xx(request, response)


class SafeConnectionErrorRetryHandler(ConnectionErrorRetryHandler):
    """Retries a dropped connection, but a post only if its connection was never made."""

    def _can_retry(
        self, *, state: Any, request: Any, response: Any = None, error: Any = None
    ) -> bool:
        retryable = super()._can_retry(state=state, request=request, response=response, error=error)
        return retryable and _connection_retryable(request, error)


class AsyncSafeConnectionErrorRetryHandler(AsyncConnectionErrorRetryHandler):
    """Retries a dropped connection, but a post only if its connection was never made."""

    async def _can_retry_async(
        self, *, state: Any, request: Any, response: Any = None, error: Any = None
    ) -> bool:
        retryable = await super()._can_retry_async(
            state=state, request=request, response=response, error=error
        )
        return retryable and _connection_retryable(request, error)


def retry_handlers() -> list[RetryHandler]:
    return [
        SafeConnectionErrorRetryHandler(max_retry_count=RETRIES, interval_calculator=BACKOFF),
        RateLimitErrorRetryHandler(max_retry_count=RETRIES),
        AnyServerErrorRetryHandler(max_retry_count=RETRIES, interval_calculator=BACKOFF),
    ]


def async_retry_handlers() -> list[AsyncRetryHandler]:
    return [
        AsyncSafeConnectionErrorRetryHandler(max_retry_count=RETRIES, interval_calculator=BACKOFF),
        AsyncRateLimitErrorRetryHandler(max_retry_count=RETRIES),
        AsyncAnyServerErrorRetryHandler(max_retry_count=RETRIES, interval_calculator=BACKOFF),
    ]


def web_client(*, token: str | None, base_url: str) -> WebClient:
    """A blocking client, for the clock process."""
    return WebClient(token=token, base_url=base_url, retry_handlers=retry_handlers())


def async_web_client(
    *, token: str | None, base_url: str, session: aiohttp.ClientSession | None = None
) -> AsyncWebClient:
    """An asyncio client, for the web process; with `session`, its connections are kept."""
    return AsyncWebClient(
        token=token, base_url=base_url, session=session, retry_handlers=async_retry_handlers()
    )


def one_token(
    *, token: str | None, base_url: str, session: aiohttp.ClientSession, timeout: int = 30
) -> SlackFor:
    """Every workspace through the one bot token, on `session`'s kept connections."""
    client = async_web_client(token=token, base_url=base_url, session=session)
    client.timeout = timeout
    return lambda team_id: client
