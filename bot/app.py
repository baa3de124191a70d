"""Wiring only: the Bolt app, its listeners, and the HTTP routes around it."""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import ModuleType

from slack_bolt.adapter.starlette.async_handler import (
    AsyncSlackRequestHandler,
    to_starlette_response,
)
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

import handlers
from bot import installs
from bot.edge import UnhandledInOneLine, slack_request
from bot.services import Services
from bot.slack import async_web_client
from core.logs import OncePerInterval
from handlers import handoff
from handlers.command import listen_for_commands
from storage.db import Database, answers


def features() -> list[ModuleType]:
    """Every module under handlers/ with a `register`: a new feature package is found as is."""
    found = []
    for info in pkgutil.iter_modules(handlers.__path__, "handlers."):
        module = importlib.import_module(info.name)
        if callable(getattr(module, "register", None)):
            found.append(module)
    return found


class _TokenNotices(logging.Filter):
    """Drops Bolt's start-up notices that SLACK_BOT_TOKEN goes unused.

    Bolt reads that variable itself and warns because `authorize` is given; but
    `authorize` is how the token reaches every request, so the notices only mislead.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return "`token`" not in message or "will be" not in message


# `/healthz` answers 503 when the database has not answered a ping within this many seconds.
HEALTH_DEADLINE = 1.5
_LOG = logging.getLogger("tandem")
_LOG.addFilter(_TokenNotices())
_LOG.addFilter(UnhandledInOneLine())
_LOG.addFilter(OncePerInterval())


def create_app(*, services: Services) -> AsyncApp:
    """The Bolt app with every feature's listeners registered."""
    settings = services.settings
    # The token reaches each request's client through `authorize`.
    client = async_web_client(token=None, base_url=settings.slack_api_url)

    async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        # Single-workspace install: the token is known, so skip Bolt's auth.test round trip.
        return AuthorizeResult(
            enterprise_id=enterprise_id, team_id=team_id, bot_token=settings.slack_bot_token
        )

    # OAuth mode: each request's token is its workspace's installation's (bot.installs).
    auth = (
        installs.oauth_options(services=services, client=client)
        if settings.oauth
        else {"authorize": authorize}
    )
    app = AsyncApp(
        client=client,
        signing_secret=settings.slack_signing_secret or "",
        **auth,
        # Listeners ack only after their work is committed, so the answer is the truth.
        process_before_response=True,
        logger=_LOG,
    )
    installs.listen(app, services=services)
    listen_for_commands(app)
    for feature in features():
        feature.register(app, services)
    return app


def create_web(*, services: Services) -> Starlette:
    """The ASGI application: Slack's endpoint, the lead webhook and a health check."""
    app = create_app(services=services)
    db = services.db
    cards = handoff.CardPoster(services=services)
    leads = handoff.lead_hook(services=services, cards=cards)

    verifier = SignatureVerifier(services.settings.slack_signing_secret or "")

    def signed(raw: bytes, request: Request) -> bool:
        try:
            return verifier.is_valid_request(raw, dict(request.headers))
        except UnicodeDecodeError:
            return True  # signed or not, not UTF-8: the edge check below answers 400

    async def events(request: Request) -> Response:
        raw = await request.body()
        # Unsigned first: whatever its body, a request Slack did not sign gets 401 (SPEC §1).
        if not signed(raw, request):
            return PlainTextResponse("Signature missing, wrong or too old.", 401)
        bolt = slack_request(request, raw)
        if bolt is None:
            _LOG.warning(
                "refused a request to /slack/events that Slack could not have sent",
                extra={"repeats": True},
            )
            return PlainTextResponse("Not a request from Slack that Tandem can read.", 400)
        return to_starlette_response(await app.async_dispatch(bolt))

    # The install page and redirect (OAuth mode; 404 otherwise): a person's browser, not Slack.
    browser = AsyncSlackRequestHandler(app).handle

    async def healthz(_request: Request) -> Response:
        healthy = await answers(db.engine, within=HEALTH_DEADLINE)
        return JSONResponse({"ok": healthy}, status_code=200 if healthy else 503)

    web = Starlette(
        routes=[
            Route("/slack/events", events, methods=["POST"]),
            Route("/hooks/leads", leads, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/slack/install", browser, methods=["GET"]),
            Route("/slack/oauth_redirect", browser, methods=["GET"]),
        ],
        lifespan=_closing(db, cards),
    )
    web.state.cards = cards  # what a test closes when it has used the app without a lifespan
    return web


def _closing(
    db: Database, cards: handoff.CardPoster
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await cards.close()
        db.close()

    return lifespan
