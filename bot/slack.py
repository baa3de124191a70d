"""Slack Web API clients that retry 429 (after Retry-After), 5xx and dropped connections,
and which token serves which workspace outside a request."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

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


def workspace_clients(*, settings: Settings, engine: Engine, timeout: int) -> WebClient | ClientFor:
    """For the clock: the one client (single token), or a client per workspace (OAuth)."""
    if not settings.oauth:
        client = web_client(token=settings.slack_bot_token, base_url=settings.slack_api_url)
        client.timeout = timeout
        return client
    tokens = workspace_tokens(settings=settings, engine=engine)
    gone: set[str] = set()  # said once per process, not on every tick

    def client_for(team_id: str) -> WebClient | None:
        token = tokens(team_id)
        if token is None:
            if team_id not in gone:
                gone.add(team_id)
                log.info("skipping workspace %s: Tandem is no longer installed there", team_id)
            return None
        gone.discard(team_id)
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
        # Refreshes go to SLACK_API_URL too, not to the rotator's default slack.com client.
        self._rotator = TokenRotator(
            client_id=self._client_id,
            client_secret=settings.slack_client_secret,
            client=web_client(token=None, base_url=settings.slack_api_url),
        )

    def __call__(self, team_id: str) -> str | None:
        with Session(self._engine) as session:
            bot = bot_of(session=session, client_id=self._client_id, team_id=team_id)
        if bot is None or bot.bot_refresh_token is None:
            return None if bot is None else bot.bot_token
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
