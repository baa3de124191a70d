"""The baseline: a Bolt AsyncApp that only acks `/lead`, on the same server stack as Tandem.

Run as `python bench/bare_app.py` with SLACK_SIGNING_SECRET and PORT set.
"""

from __future__ import annotations

import os

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.authorization import AuthorizeResult
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.__main__ import serve


async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
    return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token="xoxb-bench")


app = AsyncApp(
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    authorize=authorize,
    process_before_response=True,
)


@app.command("/lead")
async def lead(ack: AsyncAck) -> None:
    await ack(text="Saved")


handler = AsyncSlackRequestHandler(app)


async def events(request: Request) -> Response:
    return await handler.handle(request)


async def healthz(_request: Request) -> Response:
    return PlainTextResponse("ok")


web = Starlette(
    routes=[Route("/slack/events", events, methods=["POST"]), Route("/healthz", healthz)]
)

if __name__ == "__main__":
    serve(
        lambda: web, port=int(os.environ["PORT"]), workers=int(os.environ.get("WEB_CONCURRENCY", 1))
    )
