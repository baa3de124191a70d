"""The demo's web application: the real app, the stand-in Slack it talks to, and the page.

Routes added beside the app's own (`POST /slack/events`, `POST /hooks/leads`, `/healthz`):

- `/demo/api/{method}` — the stand-in Web API (the app's SLACK_API_URL), its upload URLs
  and `response_url`s;
- `/` and `/demo/static/…` — the page; `/demo/state` — what a person sees; `/demo/files/…`;
- `/demo/command`, `/demo/click`, `/demo/submit`, `/demo/close`, `/demo/shortcut`,
  `/demo/home`, `/demo/handoff`, `/demo/clock` — what a person does on the page.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.app import create_web
from bot.config import Settings
from bot.demo import cast
from bot.demo.commands import COMMANDS, SHORTCUTS
from bot.demo.slack_side import SlackSide
from bot.demo.workspace import Json, Message, Workspace
from bot.services import Services
from core.meetings import agenda_due, lead_of, occurrences, schedule_of
from scheduler.__main__ import clock_of, run_once
from storage.cadences import active_cadences
from storage.db import Database
from storage.handoffs import setup_of

log = logging.getLogger("tandem.demo")
STATIC = "static"


class DemoClock:
    """The demo's time: it runs from `start` like a clock, and jumps ahead when the page runs
    the scheduler at a later instant."""

    def __init__(self, start: datetime) -> None:
        self._at, self._since = start, time.monotonic()

    def now(self) -> datetime:
        return self._at + timedelta(seconds=time.monotonic() - self._since)

    def move_to(self, instant: datetime) -> None:
        if instant > self.now():
            self._at, self._since = instant, time.monotonic()


@dataclass
class Demo:
    """Everything the demo's routes share."""

    settings: Settings
    db: Database
    clock: DemoClock
    workspace: Workspace
    side: SlackSide
    ready: asyncio.Event

    async def run_clock(self, at: datetime) -> str:
        """Run the scheduler once at `at`, as `python -m scheduler --once --at …` does."""
        settings, engine = self.settings, self.db.engine

        def once() -> str:
            clock = clock_of(settings=settings, engine=engine)
            with clock.http:
                return str(run_once(clock, at))

        # The page's time moves first, so what the clock posts is stamped with its time.
        self.clock.move_to(at)
        report = await asyncio.to_thread(once)
        self.workspace.version += 1
        return report

    async def next_runs(self) -> list[Json]:
        """When the clock has something to post next: each meeting's agenda and its start."""
        now = self.clock.now()

        def read(session: Any) -> list[Json]:
            found = []
            for cadence in active_cadences(session=session, team_id=self.workspace.team_id):
                (meeting,) = occurrences(schedule_of(cadence), after=now, count=1)
                due = agenda_due(meeting, lead=lead_of(cadence), zone=cadence.zone)
                found.append({"what": f"{cadence.kind} agenda", "at": _iso(max(due, now))})
                found.append({"what": f"{cadence.kind} meeting starts", "at": _iso(meeting)})
            return sorted(found, key=lambda run: run["at"])

        return await self.db.read(read)


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def create_demo(
    *, database_url: str, port: int, warm_up: Callable[[Demo], Awaitable[None]] | None = None
) -> Starlette:
    """The demo on `port` (where the app reaches its stand-in Slack), on `database_url`.

    `warm_up`, when given, runs once the server answers: `--seed` posts its first messages.
    """
    from storage.db import make_engine

    base = f"http://127.0.0.1:{port}/"
    settings = Settings(
        _env_file=None,
        slack_bot_token="xoxb-demo",
        slack_signing_secret=secrets.token_hex(16),
        slack_api_url=f"{base}demo/api/",
        database_url=database_url,
        port=port,
        tandem_leads=frozenset({cast.LEAD.id}),
    )
    clock = DemoClock(cast.START)
    workspace = Workspace(
        team_id=cast.TEAM, people=list(cast.PEOPLE), channels=list(cast.CHANNELS), clock=clock.now
    )
    db = Database(make_engine(database_url))
    web = create_web(services=Services(settings=settings, db=db, clock=clock.now))
    app = httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://tandem.demo")
    side = SlackSide(
        app=app, workspace=workspace, secret=settings.slack_signing_secret or "", base=base
    )
    demo = Demo(settings, db, clock, workspace, side, asyncio.Event())
    web.router.routes[:0] = routes(demo)
    web.state.demo = demo
    closing = web.router.lifespan_context

    @asynccontextmanager
    async def lifespan(starlette: Starlette) -> AsyncIterator[None]:
        async with closing(starlette):
            task = asyncio.ensure_future(_start(demo, base, warm_up))
            yield
            task.cancel()
            await app.aclose()

    web.router.lifespan_context = lifespan
    return web


async def _start(demo: Demo, base: str, warm_up: Callable[[Demo], Awaitable[None]] | None) -> None:
    """Once the server answers, warm up (if asked), then say the demo is ready."""
    async with httpx.AsyncClient() as http:
        for _ in range(100):
            try:
                if (await http.get(f"{base}healthz")).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    try:
        if warm_up is not None:
            await warm_up(demo)
    except Exception:
        log.exception("the demo's first messages could not all be posted")
    finally:
        demo.ready.set()


async def _form_or_json(request: Request) -> Json:
    body = await request.body()
    query = dict(parse_qsl(request.url.query, keep_blank_values=True))
    if not body:
        return query
    if "json" in request.headers.get("content-type", ""):
        return {**query, **json.loads(body)}
    return {**query, **dict(parse_qsl(body.decode(), keep_blank_values=True))}


def routes(demo: Demo) -> list[BaseRoute]:
    workspace, side = demo.workspace, demo.side

    async def api(request: Request) -> Response:
        token = request.headers.get("authorization", "")
        if token != f"Bearer {demo.settings.slack_bot_token}":
            return JSONResponse({"ok": False, "error": "not_authed"})
        params = await _form_or_json(request)
        answer = workspace.call(request.path_params["method"], params, base=side.base)
        return JSONResponse(answer)

    async def upload(request: Request) -> Response:
        if not workspace.upload(request.path_params["file"], await request.body()):
            return Response("unknown upload", status_code=404)
        return Response("OK", media_type="text/plain")

    async def respond(request: Request) -> Response:
        if not workspace.respond(request.path_params["token"], json.loads(await request.body())):
            return JSONResponse({"ok": False, "error": "expired_url"}, status_code=404)
        return JSONResponse({"ok": True})

    async def page(_request: Request) -> Response:
        from importlib.resources import files

        return FileResponse(str(files("bot.demo") / STATIC / "index.html"))

    async def state(request: Request) -> Response:
        user = request.query_params.get("user", cast.REP.id)
        seen = request.query_params.get("since")
        if seen is not None and seen == str(workspace.version) and demo.ready.is_set():
            return JSONResponse({"version": workspace.version, "unchanged": True})
        snapshot = workspace.snapshot(user)
        snapshot["ready"] = demo.ready.is_set()
        snapshot["actors"] = [p.id for p in cast.ACTORS]
        snapshot["commands"] = [c.__dict__ for c in COMMANDS]
        snapshot["shortcuts"] = [{"name": n, "callback_id": c} for n, c in SHORTCUTS]
        snapshot["next_runs"] = await demo.next_runs()
        setup = await demo.db.read(setup_of, team_id=workspace.team_id)
        snapshot["handoff_channel"] = setup.channel_id if setup else None
        snapshot["hook_secret"] = cast.HOOK_SECRET
        return JSONResponse(snapshot)

    async def file(request: Request) -> Response:
        found = workspace.files.get(request.path_params["file"])
        if found is None:
            return Response("no such file", status_code=404)
        disposition = "inline" if found.mimetype.startswith("image/") else "attachment"
        headers = {"Content-Disposition": f'{disposition}; filename="{found.name}"'}
        return Response(found.content, media_type=found.mimetype, headers=headers)

    def acting(
        work: Callable[[Json], Awaitable[Json]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            body = json.loads(await request.body() or b"{}")
            if body.get("user") not in workspace.people:
                return JSONResponse({"ok": False, "error": "unknown user"}, status_code=400)
            try:
                return JSONResponse(await work(body))
            except Exception as error:
                log.exception("the demo could not do %s", request.url.path)
                problem = str(error).splitlines()[0] if str(error) else type(error).__name__
                return JSONResponse({"ok": False, "status": 500, "error": problem}, 500)

        return endpoint

    async def command(body: Json) -> Json:
        outcome = await side.command(
            user=body["user"],
            channel=body["channel"],
            command=body["command"],
            text=body.get("text", ""),
        )
        return outcome.as_json()

    async def click(body: Json) -> Json:
        outcome = await side.click(
            user=body["user"],
            action=body["action"],
            channel=body.get("channel"),
            ts=body.get("ts"),
            view_id=body.get("view_id"),
            state=body.get("state"),
        )
        return outcome.as_json()

    async def submit(body: Json) -> Json:
        outcome = await side.submit(
            user=body["user"], view_id=body["view_id"], state=body.get("state") or {}
        )
        return outcome.as_json()

    async def close(body: Json) -> Json:
        side.close(user=body["user"])
        return {"ok": True}

    async def shortcut(body: Json) -> Json:
        outcome = await side.shortcut(
            user=body["user"],
            channel=body["channel"],
            ts=body["ts"],
            callback_id=body["callback_id"],
        )
        return outcome.as_json()

    async def say(body: Json) -> Json:
        channel, text = str(body.get("channel", "")), str(body.get("text", ""))
        if channel not in workspace.channels or not text.strip():
            return {"ok": False, "error": "channel_not_found" if text else "no_text"}
        # What Slack does to a typed message: its &, < and > arrive escaped.
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        workspace.add(Message(channel, workspace.new_ts(), body["user"], escaped))
        return {"ok": True}

    async def home(body: Json) -> Json:
        return (await side.open_home(user=body["user"])).as_json()

    async def handoff(body: Json) -> Json:
        answer = await side.hand_over(secret=str(body.get("secret", "")), lead=body["lead"])
        return {
            "ok": answer.status_code < 300,
            "status": answer.status_code,
            "answer": answer.json(),
        }

    async def run_clock(body: Json) -> Json:
        try:
            at = datetime.fromisoformat(str(body.get("at", "")).replace("Z", "+00:00"))
        except ValueError:
            return {"ok": False, "error": "not a date and time, e.g. 2026-04-05T14:00:00Z"}
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        report = await demo.run_clock(at.astimezone(UTC))
        return {"ok": True, "report": report}

    return [
        Route("/", page, methods=["GET"]),
        Mount("/demo/static", StaticFiles(packages=[("bot.demo", STATIC)])),
        Route("/demo/api/upload/{file}", upload, methods=["POST"]),
        Route("/demo/api/response/{token}", respond, methods=["POST"]),
        Route("/demo/api/{method}", api, methods=["GET", "POST"]),
        Route("/demo/state", state, methods=["GET"]),
        Route("/demo/files/{file}/{name}", file, methods=["GET"]),
        Route("/demo/command", acting(command), methods=["POST"]),
        Route("/demo/click", acting(click), methods=["POST"]),
        Route("/demo/submit", acting(submit), methods=["POST"]),
        Route("/demo/close", acting(close), methods=["POST"]),
        Route("/demo/shortcut", acting(shortcut), methods=["POST"]),
        Route("/demo/say", acting(say), methods=["POST"]),
        Route("/demo/home", acting(home), methods=["POST"]),
        Route("/demo/handoff", acting(handoff), methods=["POST"]),
        Route("/demo/clock", acting(run_clock), methods=["POST"]),
    ]
