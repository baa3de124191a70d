"""Slack Web API clients that retry 429 (after Retry-After), 5xx and dropped connections."""

from __future__ import annotations

from typing import Any

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


def _any_5xx(response: Any) -> bool:
    # The built-in handler retries only 500 and 503; a gateway's 502 or 504 is as passing.
    return response is not None and 500 <= response.status_code <= 599


class AnyServerErrorRetryHandler(ServerErrorRetryHandler):
    """Retries every 5xx answer with exponential backoff and jitter."""

    def _can_retry(
        self, *, state: Any, request: Any, response: Any = None, error: Any = None
    ) -> bool:
        return _any_5xx(response)


class AsyncAnyServerErrorRetryHandler(AsyncServerErrorRetryHandler):
    """Retries every 5xx answer with exponential backoff and jitter."""

    async def _can_retry_async(
        self, *, state: Any, request: Any, response: Any = None, error: Any = None
    ) -> bool:
        return _any_5xx(response)


def retry_handlers() -> list[RetryHandler]:
    return [
        ConnectionErrorRetryHandler(max_retry_count=RETRIES, interval_calculator=BACKOFF),
        RateLimitErrorRetryHandler(max_retry_count=RETRIES),
        AnyServerErrorRetryHandler(max_retry_count=RETRIES, interval_calculator=BACKOFF),
    ]


def async_retry_handlers() -> list[AsyncRetryHandler]:
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=RETRIES, interval_calculator=BACKOFF),
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
