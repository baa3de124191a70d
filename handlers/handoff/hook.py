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
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import partial

from slack_sdk import WebClient
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.services import Services
from core.handoff_posts import LEASE, post_card
from core.hours import deadline, read_hours
from handlers.handoff.parse import MAX_BODY, HookError, parse_lead
from storage import limits
from storage.handoffs import NoChannel, Unknown, receive
from storage.models import HandoffSetup

log = logging.getLogger("tandem.handoff")
# Card posts wait on Slack; they get their own threads, so reads of the database don't queue.
_POSTERS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="card")

UNAUTHORIZED = "Send the webhook secret from `/handoff token` as `Authorization: Bearer …`."
BAD_KEY = f"Header “Idempotency-Key” must be 1 to {limits.REFERENCE} characters."
NO_CHANNEL = "This workspace has no handoff channel: set one in Slack with `/handoff set`."


def token_hash(token: str) -> str:
    """What is stored of a webhook secret: its SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def _refuse(status: int, message: str) -> Response:
    return JSONResponse({"ok": False, "error": message}, status_code=status)


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _settled(future: Future[bool]) -> None:
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
        if int(request.headers.get("content-length") or 0) > MAX_BODY:
            return _refuse(413, f"The body is larger than {MAX_BODY // 1024} KB.")
        key = request.headers.get("idempotency-key")
        if key is not None and not 0 < len(key.strip()) <= limits.REFERENCE:
            return _refuse(
                422, f"Header “Idempotency-Key” must be 1 to {limits.REFERENCE} characters."
            )
        try:
            lead = parse_lead(await request.body())
        except HookError as error:
            return _refuse(error.status, str(error))
        now = services.now()
        try:
            received = await db.write(
                receive,
                token_hash=token_hash(token),
                lead=lead,
                idempotency_key=key.strip() if key else None,
                due=due(now),
                now=now,
                card_lease=LEASE,
            )
        except Unknown:
            return _refuse(401, UNAUTHORIZED)
        except NoChannel:
            return _refuse(409, NO_CHANNEL)
        if received.card is not None:
            posting = partial(
                post_card, engine=db.engine, client=client, post=received.card, clock=services.now
            )
            asyncio.get_running_loop().run_in_executor(_POSTERS, posting).add_done_callback(
                _settled  # type: ignore[arg-type]
            )
        status = 202 if received.created else 200
        return JSONResponse({"ok": True, "handoff": received.handoff_id}, status_code=status)

    return leads
