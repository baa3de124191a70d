"""Slack Web API clients that retry 429 (after Retry-After), 5xx and dropped connections,
and which token serves which workspace outside a request.

Except where a retry could post twice: a call that posts (`chat.postMessage`, a file's
share) is retried only when the answer proves nothing was done, a 429 or a connection
that was never made. After the request went out, a dropped connection, a timeout or a 5xx
says nothing about whether Slack posted it, so the call fails and its caller decides
(the clock looks for the earlier post first: scheduler.posting).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from typing import Any
from urllib.error import URLError

import aiohttp
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
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
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.token_rotation import TokenRotator
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Engine
from sqlmodel import Session

from bot.config import Settings
from core.workspaces import ClientFor
from storage.installations import bot_of

log = logging.getLogger("tandem")

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

SlackFor = Callable[[str], AsyncWebClient | None]
"""Which client speaks to Slack for a workspace (team id); None for a workspace that
uninstalled Tandem. The one place that decides it (workspace_slack), so nothing that posts
knows whether tokens are one or per workspace."""


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


# Refresh a rotating token this long before it expires (Bolt's default for requests too).
ROTATE_BEFORE_MINUTES = 120
TokenFor = Callable[[str], str | None]


def workspace_tokens(*, settings: Settings, engine: Engine) -> TokenFor:
    """Which bot token serves which workspace: the one token, or each installation's.

    For the posts made outside a request (the clock, lead cards); a request's own token
    comes from Bolt. None means Tandem is no longer installed in that workspace.
    """
    if not settings.oauth:
        token = settings.slack_bot_token
        return lambda _team_id: token
    return _Installed(settings=settings, engine=engine)


def workspace_clients(
    *, settings: Settings, tokens: TokenFor, timeout: int
) -> WebClient | ClientFor:
    """For the clock: the one client (single token), or a client per workspace (OAuth)."""
    if not settings.oauth:
        client = web_client(token=settings.slack_bot_token, base_url=settings.slack_api_url)
        client.timeout = timeout
        return client

    def client_for(team_id: str) -> WebClient | None:
        token = tokens(team_id)
        if token is None:
            return None
        client = web_client(token=token, base_url=settings.slack_api_url)
        client.timeout = timeout
        return client

    return client_for


class _Installed:
    """Bot tokens from Bolt's installation store, refreshed first when they rotate."""

    def __init__(self, *, settings: Settings, engine: Engine) -> None:
        assert settings.slack_client_id is not None and settings.slack_client_secret is not None
        self._client_id = settings.slack_client_id
        self._engine = engine
        self._store = SQLAlchemyInstallationStore(client_id=self._client_id, engine=engine)
        self._gone: set[str] = set()  # said to be uninstalled: once, not on every tick
        # Refreshes go to SLACK_API_URL too, not to the rotator's default slack.com client.
        self._rotator = TokenRotator(
            client_id=self._client_id,
            client_secret=settings.slack_client_secret,
            client=web_client(token=None, base_url=settings.slack_api_url),
        )

    def __call__(self, team_id: str) -> str | None:
        with Session(self._engine) as session:
            bot = bot_of(session=session, client_id=self._client_id, team_id=team_id)
        if bot is None:
            if team_id not in self._gone:
                self._gone.add(team_id)
                log.info("skipping workspace %s: Tandem is no longer installed there", team_id)
            return None
        self._gone.discard(team_id)
        if bot.bot_refresh_token is None:
            return bot.bot_token
        # As Bolt does for requests: rotate the installation and save it whole, so the
        # installation and its bot keep the same token.
        installation = self._store.find_installation(
            enterprise_id=bot.enterprise_id,
            team_id=bot.team_id,
            is_enterprise_install=bot.is_enterprise_install,
        )
        try:
            if installation is not None:
                rotated = self._rotator.perform_token_rotation(
                    installation=installation, minutes_before_expiration=ROTATE_BEFORE_MINUTES
                )
                if rotated is not None:
                    self._store.save(rotated)
                    return rotated.bot_token
                return installation.bot_token
            refreshed = self._rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=ROTATE_BEFORE_MINUTES
            )
        except (SlackClientError, OSError) as error:
            log.warning("could not refresh the bot token of workspace %s: %s", team_id, error)
            return None
        if refreshed is None:
            return bot.bot_token
        self._store.save_bot(refreshed)
        return refreshed.bot_token


def one_token(
    *, token: str | None, base_url: str, session: aiohttp.ClientSession, timeout: int = 30
) -> SlackFor:
    """Every workspace through the one bot token, on `session`'s kept connections."""
    client = async_web_client(token=token, base_url=base_url, session=session)
    client.timeout = timeout
    return lambda team_id: client


def workspace_slack(
    *, settings: Settings, tokens: TokenFor, session: aiohttp.ClientSession, timeout: int = 30
) -> SlackFor:
    """For the clock's reminders, on `session`'s kept connections: the one token's client,
    or each workspace's installation's (OAuth)."""
    if not settings.oauth:
        return one_token(
            token=settings.slack_bot_token,
            base_url=settings.slack_api_url,
            session=session,
            timeout=timeout,
        )

    def slack_for(team_id: str) -> AsyncWebClient | None:
        token = tokens(team_id)
        if token is None:
            return None
        client = async_web_client(token=token, base_url=settings.slack_api_url, session=session)
        client.timeout = timeout
        return client

    return slack_for
