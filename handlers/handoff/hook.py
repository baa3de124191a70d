"""`POST /hooks/leads`: leads handed over by a marketing tool, a CRM workflow or a script.

The answer never waits on Slack: the handoff and the claim on its card commit together,
the caller gets 202, and the card is posted afterwards on a small thread pool. A card
Slack refuses is given back for the clock to post (core.handoff_posts).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import partial

from slack_sdk import WebClient
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.services import Services
from core.handoff_posts import LEASE, post_card
from core.hours import deadline, read_hours
from handlers.handoff.parse import MAX_BODY, TOO_LARGE, HookError, parse_lead
from storage import limits
from storage.intake import NO_CHANNEL, UNKNOWN, Incoming, Received, receive_many
from storage.models import HandoffSetup

log = logging.getLogger("tandem.handoff")
# Card posts wait on Slack; they get their own threads, so reads of the database don't queue.
_POSTERS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="card")

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


def _settled(future: asyncio.Future[bool]) -> None:
    if future.exception() is not None:
        log.error("posting a lead card failed", exc_info=future.exception())


def lead_hook(*, services: Services, client: WebClient) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint, posting cards with `client`."""
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
            posting = partial(
                post_card,
                engine=db.engine,
                client=client,
                handoff=received.handoff,
                post=received.card,
                clock=services.now,
            )
            asyncio.get_running_loop().run_in_executor(_POSTERS, posting).add_done_callback(
                _settled
            )
        status = 202 if received.created else 200
        return JSONResponse({"ok": True, "handoff": received.handoff_id}, status_code=status)

    return leads
