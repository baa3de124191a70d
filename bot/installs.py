"""OAuth mode (SPEC §7): Bolt's install flow, its stores on Tandem's database, uninstalls.

Bolt's own OAuth flow serves `GET /slack/install` and `GET /slack/oauth_redirect`; slack_sdk's
SQLAlchemy installation and state stores keep installations and one-time states in the
tables storage.models declares (created by a migration, not by the stores). Those stores
are blocking, so Bolt's asyncio app reaches them through thin adapters running each call
on a worker thread. Every Slack call of the flow (oauth.v2.access, auth.test, token
refreshes) goes through the app's client, to SLACK_API_URL.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient

from bot.services import Services
from bot.slack import ROTATE_BEFORE_MINUTES
from storage.installations import remember_enterprise_team

log = logging.getLogger("tandem")

# The bot scopes manifest.yml declares (tests/test_oauth.py keeps the two the same).
BOT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "users:read",
    "files:write",
    "im:write",
    "channels:history",
    "groups:history",
)
STATE_SECONDS = 600  # an install link works once, within ten minutes

_FAILURES = {
    "access_denied": "The install was cancelled in Slack, so nothing was installed.",
    "invalid_browser": (
        "This page was not opened in the browser that started the install "
        "(or its cookies were cleared)."
    ),
    "invalid_state": "This install link has expired (after 10 minutes) or was already used.",
    "missing_code": "Slack did not say that the install was approved.",
    "invalid_code": "Slack did not confirm the install: its code was refused.",
    "storage_error": "Tandem could not save the installation.",
}


def oauth_options(*, services: Services, client: AsyncWebClient) -> dict[str, Any]:
    """AsyncApp's arguments for OAuth mode: the install flow and its `authorize`."""
    settings = services.settings
    client_id, secret = settings.slack_client_id, settings.slack_client_secret
    assert client_id is not None and secret is not None
    engine = services.db.engine
    installations = _AsyncInstallations(_Store(client_id, engine))
    oauth = AsyncOAuthSettings(
        client_id=client_id,
        client_secret=secret,
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        installation_store=installations,
        state_store=_AsyncStates(SQLAlchemyOAuthStateStore(STATE_SECONDS, engine)),
        state_expiration_seconds=STATE_SECONDS,
        token_rotation_expiration_minutes=ROTATE_BEFORE_MINUTES,
        callback_options=AsyncCallbackOptions(success=_installed, failure=_not_installed),
        logger=log,
    )
    # Bolt's default authorize refreshes rotating tokens through a client of its own, aimed
    # at slack.com; this one refreshes through ours, to SLACK_API_URL.
    authorize = AsyncInstallationStoreAuthorize(
        logger=log,
        installation_store=installations,
        client_id=client_id,
        client_secret=secret,
        token_rotation_expiration_minutes=ROTATE_BEFORE_MINUTES,
        client=client,
    )
    return {"oauth_flow": _Flow(client=client, logger=log, settings=oauth), "authorize": authorize}


def listen(app: AsyncApp, *, services: Services) -> None:
    """Uninstalls and revoked tokens delete the workspace's tokens (Bolt's listeners), and
    a workspace of an org-wide install is remembered for the clock.

    With one bot token there is nothing to delete: the events are only logged.
    """
    if not services.settings.oauth:

        async def uninstalled(event: dict[str, Any], context: AsyncBoltContext) -> None:
            log.warning("Slack sent %s for workspace %s", event.get("type"), context.team_id)

        app.event("app_uninstalled")(uninstalled)
        app.event("tokens_revoked")(uninstalled)
        return
    app.enable_token_revocation_listeners()
    known: set[str] = set()

    async def remember_organization(
        context: AsyncBoltContext, next: Callable[[], Awaitable[None]]
    ) -> None:
        team, enterprise = context.team_id, context.enterprise_id
        if context.is_enterprise_install and team and enterprise and team not in known:
            await services.db.write(
                remember_enterprise_team, team_id=team, enterprise_id=enterprise
            )
            known.add(team)
        await next()

    app.use(remember_organization)


class _Flow(AsyncOAuthFlow):
    """Bolt's flow, with Tandem's own install page (which loads nothing from elsewhere)."""

    async def build_install_page_html(self, url: str, request: AsyncBoltRequest) -> str:
        body = (
            "<p>Tandem keeps sales and marketing working as one: lead ratings, field "
            "intelligence, collateral and the meetings that bring them together.</p>"
            f'<p><a class="add" href="{html.escape(url)}">Add to Slack</a></p>'
        )
        return _html("Add Tandem to Slack", body)


async def _installed(args: AsyncSuccessArgs) -> BoltResponse:
    installation = args.installation
    where = installation.team_name or installation.enterprise_name or "your workspace"
    team = installation.team_id or ""
    app_link = f"slack://app?team={team}&id={installation.app_id}"
    body = (
        f"<p>Tandem is installed in <strong>{html.escape(where)}</strong>.</p>"
        f'<p><a href="{html.escape(app_link)}">Open Tandem in Slack</a>, or type '
        "<code>/cadence</code> in a channel to set your first meeting.</p>"
    )
    return _page(args, 200, "Tandem is installed", body)


async def _not_installed(args: AsyncFailureArgs) -> BoltResponse:
    why = _FAILURES.get(args.reason, f"Slack answered “{args.reason}”.")
    install = args.settings.install_path
    log.warning("an install did not finish: %s", args.reason)
    body = (
        f"<p>{html.escape(why)}</p>"
        f'<p><a href="{html.escape(install)}">Start the install again</a>.</p>'
    )
    return _page(args, args.suggested_status_code, "Tandem was not installed", body)


def _page(
    args: AsyncSuccessArgs | AsyncFailureArgs, status: int, title: str, body: str
) -> BoltResponse:
    """The end of an install, either way: the browser's state cookie is spent."""
    headers: dict[str, str | Sequence[str]] = {
        "Content-Type": "text/html; charset=utf-8",
        "Set-Cookie": args.settings.state_utils.build_set_cookie_for_deletion(),
    }
    return BoltResponse(status=status, body=_html(title, body), headers=headers)


def _html(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;"
        "padding:0 1em;line-height:1.5}a.add{display:inline-block;padding:.6em 1.2em;"
        "border-radius:6px;background:#4a154b;color:#fff;text-decoration:none}</style>"
        f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


class _Store(SQLAlchemyInstallationStore):
    """slack_sdk's store, except that a revoked bot token is also dropped from the
    installation rows, which would otherwise still hand it to requests."""

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        super().delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        rows = self.installations.c
        with self.engine.begin() as connection:
            connection.execute(
                self.installations.update()
                .where(
                    rows.client_id == self.client_id,
                    rows.enterprise_id == enterprise_id,
                    rows.team_id == team_id,
                )
                .values(bot_token=None, bot_refresh_token=None, bot_token_expires_at=None)
            )


class _AsyncInstallations(AsyncInstallationStore):
    """slack_sdk's blocking SQLAlchemy installation store, for Bolt's asyncio app."""

    def __init__(self, store: SQLAlchemyInstallationStore) -> None:
        self._store = store

    @property
    def logger(self) -> logging.Logger:
        return self._store.logger

    async def async_save(self, installation: Installation) -> None:
        await asyncio.to_thread(self._store.save, installation)

    async def async_save_bot(self, bot: Bot) -> None:
        await asyncio.to_thread(self._store.save_bot, bot)

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        return await asyncio.to_thread(
            self._store.find_bot,
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        return await asyncio.to_thread(
            self._store.find_installation,
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await asyncio.to_thread(
            self._store.delete_bot, enterprise_id=enterprise_id, team_id=team_id
        )

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        await asyncio.to_thread(
            self._store.delete_installation,
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
        )


class _AsyncStates(AsyncOAuthStateStore):
    """slack_sdk's blocking SQLAlchemy state store, for Bolt's asyncio app: a state is
    consumed (deleted) by its first use, and refused after its expiry."""

    def __init__(self, store: SQLAlchemyOAuthStateStore) -> None:
        self._store = store

    @property
    def logger(self) -> logging.Logger:
        return self._store.logger

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        return await asyncio.to_thread(self._store.issue)

    async def async_consume(self, state: str) -> bool:
        return await asyncio.to_thread(self._store.consume, state)
