"""`POST /hooks/leads`: leads handed over by a marketing tool, a CRM workflow or a script.

The answer never waits on Slack: the handoff and the claim on its card commit together
(a batch at a time, storage.intake), the caller gets 202, and a CardPoster posts the card
afterwards. A card Slack refuses is given back for the clock to post (core.handoff_posts).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.services import Services
from bot.slack import async_web_client, workspace_tokens
from core.cards import lead_card
from core.handoff_posts import LEASE, RETRY
from core.hours import deadline, read_hours
from handlers.handoff.parse import MAX_BODY, TOO_LARGE, HookError, parse_lead
from storage import limits
from storage.intake import NO_CHANNEL, UNKNOWN, Incoming, Received, receive_many
from storage.models import Handoff, HandoffPost, HandoffSetup
from storage.posts import Posted, record_posted, release

log = logging.getLogger("tandem.handoff")
CARDS_AT_ONCE = 16  # cards waiting on Slack at once; more wait their turn

UNAUTHORIZED = "Send the webhook secret from `/handoff token` as `Authorization: Bearer …`."
BAD_KEY = f"Header “Idempotency-Key” must be 1 to {limits.REFERENCE} characters."
UNAVAILABLE = "Tandem could not reach its database just now; nothing was stored. Try again."
NO_CHANNEL_SET = "This workspace has no handoff channel: set one in Slack with `/handoff set`."


def token_hash(token: str) -> str:
    """What is stored of a webhook secret: its SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def _refuse(status: int, message: str) -> Response:
    return JSONResponse({"ok": False, "error": message}, status_code=status)


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def _body(request: Request) -> bytes:
    """The request's body, read no further than the largest one taken (else HookError 413)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise HookError(413, TOO_LARGE)
    return bytes(body)


class CardPoster:
    """Posts the cards of leads just stored: on the web process's event loop, a few at a
    time, over one pool of kept-alive connections to Slack; each posted card is recorded
    through the group commit, and one Slack refused is given back for the clock."""

    def __init__(self, *, services: Services) -> None:
        self._services = services
        # Each card goes out with its workspace's token (one token, or its installation's).
        self._tokens = workspace_tokens(settings=services.settings, engine=services.db.engine)
        self._client: AsyncWebClient | None = None
        self._session: aiohttp.ClientSession | None = None
        self._gate = asyncio.Semaphore(CARDS_AT_ONCE)
        self._running: set[asyncio.Task[None]] = set()

    def post(self, handoff: Handoff, claim: HandoffPost) -> None:
        """Post the card soon, without waiting for it."""
        task = asyncio.ensure_future(self._post(handoff, claim))
        self._running.add(task)
        task.add_done_callback(self._settled)

    def _settled(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("posting a lead card failed", exc_info=task.exception())

    def _slack(self) -> AsyncWebClient:
        if self._client is None:
            settings = self._services.settings
            self._session = aiohttp.ClientSession()
            self._client = async_web_client(
                token=None, base_url=settings.slack_api_url, session=self._session
            )
        return self._client

    async def _post(self, handoff: Handoff, claim: HandoffPost) -> None:
        db, card = self._services.db, lead_card(handoff)
        async with self._gate:
            try:
                token = await self._token(handoff.team_id)
                answer = await self._slack().chat_postMessage(
                    token=token,
                    channel=handoff.channel_id,
                    text=card.text,
                    blocks=card.blocks,
                    unfurl_links=False,
                )
            except (SlackApiError, SlackClientError, aiohttp.ClientError, OSError) as error:
                log.warning("could not post the card of handoff %s: %s", handoff.id, error)
                now = self._services.now()
                await db.write(release, post=claim, retry_at=now + RETRY, now=now)
                return
        await db.write_many(record_posted, Posted(claim, str(answer["ts"]), self._services.now()))

    async def _token(self, team_id: str) -> str:
        if not self._services.settings.oauth:
            return self._tokens(team_id) or ""  # the one token: no lookup to wait for
        token = await asyncio.to_thread(self._tokens, team_id)
        if token is None:
            raise SlackClientError(f"Tandem is no longer installed in workspace {team_id}")
        return token

    async def close(self) -> None:
        """Let the cards on their way finish (a few seconds at most), then close the pool."""
        if self._running:
            await asyncio.wait(self._running, timeout=5)
        if self._session is not None:
            await self._session.close()


def lead_hook(*, services: Services, cards: CardPoster) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint; `cards` posts the cards of the leads it stores."""
    db = services.db

    def due(now: datetime) -> Callable[[HandoffSetup], datetime]:
        def when(setup: HandoffSetup) -> datetime:
            return deadline(now, timedelta(minutes=setup.sla_minutes), read_hours(setup.hours))

        return when

    async def leads(request: Request) -> Response:
        token = _bearer(request)
        if token is None:
            return _refuse(401, UNAUTHORIZED)
        key = request.headers.get("idempotency-key")
        if key is not None and not 0 < len(key.strip()) <= limits.REFERENCE:
            return _refuse(
                422, f"Header “Idempotency-Key” must be 1 to {limits.REFERENCE} characters."
            )
        try:
            lead = parse_lead(await _body(request))
        except HookError as error:
            return _refuse(error.status, str(error))
        now = services.now()
        incoming = Incoming(
            token_hash(token), lead, key.strip() if key else None, now, due(now), LEASE
        )
        try:
            received = await db.write_many(receive_many, incoming)
        except SQLAlchemyError as error:
            log.error("could not store a handed-over lead: %s", str(error).splitlines()[0])
            return JSONResponse(
                {"ok": False, "error": UNAVAILABLE}, status_code=503, headers={"Retry-After": "30"}
            )
        if received == UNKNOWN:
            return _refuse(401, UNAUTHORIZED)
        if received == NO_CHANNEL:
            return _refuse(409, NO_CHANNEL_SET)
        assert isinstance(received, Received)
        if received.card is not None and received.handoff is not None:
            cards.post(received.handoff, received.card)
        status = 202 if received.created else 200
        return JSONResponse({"ok": True, "handoff": received.handoff_id}, status_code=status)

    return leads
