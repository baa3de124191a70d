"""Fan-out: N channels whose monthly agendas fall due at the same instant, posted by
`python -m scheduler --once --at …` against a stand-in Slack that, like Slack, takes one
`chat.postMessage` per second per channel and answers 429 with `Retry-After` beyond that.

    .venv/bin/python bench/fanout.py --channels 1000 --limit 240

Each channel is a workspace of its own (T0001/C0001, …) with the same seeded month of
ratings, intel, deals, collateral and glossary terms, so every agenda has a thread. The
report: when the last post of the last complete agenda landed (seconds after the clock
started), how many agendas are complete (top-level message and every reply, each once),
duplicates (a post seen twice), missed (an agenda not complete when the clock exited or was
stopped at `--limit` seconds), 429s answered. `--code DIR` runs the clock from another
checkout (e.g. `git archive <commit> | tar -x -C DIR`) against the same database, for a
before/after comparison.
"""

from __future__ import annotations

import argparse
import collections
import json
import logging
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import ADMIN_URL, free_port, fresh_database  # noqa: E402
from sqlalchemy import make_url, text  # noqa: E402

from scheduler.agenda import build_agenda  # noqa: E402
from storage.cadences import active_cadences  # noqa: E402
from storage.db import make_engine, normalize_url, session_scope  # noqa: E402
from storage.migrate import migrate_or_exit  # noqa: E402
from tests.factories import (  # noqa: E402
    add_collateral,
    add_intel,
    add_rating,
    add_result,
    add_term,
    add_vote,
    make_cadence,
)

# first-tue 10:00 New York, agenda two days ahead: due Sunday 1 March 2026 15:00Z.
MEETING = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
AGENDA_AT = MEETING - timedelta(days=2)
SET_AT = datetime(2026, 2, 1, tzinfo=UTC)
SEEDED = datetime(2026, 2, 10, tzinfo=UTC)


def seed(url: str, channels: int) -> None:
    """One workspace per channel, each with a monthly cadence and a month of data."""
    engine = make_engine(url)
    migrate_or_exit(engine)
    for n in range(1, channels + 1):
        team = f"T{n:04d}"
        with session_scope(engine) as session:
            make_cadence(
                session=session, team_id=team, channel_id=f"C{n:04d}", lead=timedelta(days=2),
                now=SET_AT,
            )  # fmt: skip
            for i in range(12):
                add_rating(
                    session=session, team_id=team, lead=f"L-{i}", score=1 + i % 5,
                    campaign=f"Campaign {i % 4}", criteria={"budget": i % 2 == 0},
                    reason="timing", at=SEEDED + timedelta(hours=i),
                )  # fmt: skip
            for i in range(8):
                add_intel(
                    session=session, team_id=team, subject=f"Rival {i % 3}",
                    text=f"price move {i}", at=SEEDED + timedelta(hours=i),
                )  # fmt: skip
            for i in range(6):
                add_result(
                    session=session, team_id=team, outcome=("win", "loss")[i % 2],
                    deal=f"D-{i}", competitor=f"Rival {i % 3}", reason="price",
                    at=SEEDED + timedelta(hours=i),
                )  # fmt: skip
            for i in range(4):
                item = add_collateral(
                    session=session, team_id=team, title=f"Deck {i}",
                    url=f"https://example.com/{i}", at=SEEDED + timedelta(hours=i),
                )  # fmt: skip
                add_vote(session=session, team_id=team, collateral_id=item, at=SEEDED)
            add_term(session=session, team_id=team, at=SEEDED)
    with Session(engine) as session:
        cadence = active_cadences(session=session)[0]
        agenda = build_agenda(session=session, cadence=cadence, occurrence=MEETING, now=AGENDA_AT)
    engine.dispose()
    with open(_expected_file(url), "w") as out:
        json.dump({"replies": len(agenda.thread)}, out)


def _expected_file(url: str) -> str:
    return f"/tmp/fanout-{make_url(url).database}.json"


def _url(database: str) -> str:
    return make_url(normalize_url(ADMIN_URL)).set(database=database).render_as_string(False)


# --- the stand-in Slack --------------------------------------------------------------------


def serve_slack(port: int, *, drop: int, history: bool) -> None:
    """Slack's Web API as far as the clock needs it, with the per-channel posting limit.

    With `drop` N, every Nth post is taken and its connection closed without an answer;
    without `history`, conversations.history and .replies answer missing_scope.
    """
    last: dict[str, float] = {}
    posts: list[dict[str, Any]] = []
    rejected = collections.Counter[str]()
    ts = iter(range(1, 10**9))
    dropped = [0]

    async def api(request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body = await request.read()
        if "json" in request.content_type:
            params: dict[str, Any] = json.loads(body or b"{}")
        else:
            params = dict(await request.post()) if body else {}
            params.update(request.query)
        channel = str(params.get("channel", ""))
        if method == "chat.postMessage":
            now = time.monotonic()
            if now - last.get(channel, -10.0) < 1.0:
                rejected[channel] += 1
                return web.json_response(
                    {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"}
                )
            last[channel] = now
            stamp = f"1772377200.{next(ts):06d}"
            metadata = params.get("metadata")
            if isinstance(metadata, str):
                metadata = json.loads(metadata)
            posts.append(
                {
                    "channel": channel,
                    "ts": stamp,
                    "thread_ts": params.get("thread_ts"),
                    "text": params.get("text"),
                    "metadata": metadata,
                    "at": time.time(),
                }
            )
            if drop and len(posts) % drop == 0 and request.transport is not None:
                dropped[0] += 1
                request.transport.abort()  # taken, and the answer never leaves
            return web.json_response({"ok": True, "channel": channel, "ts": stamp})
        if method.startswith("conversations.") and not history:
            return web.json_response({"ok": False, "error": "missing_scope"})
        if method == "conversations.history":
            found = [p for p in posts if p["channel"] == channel and not p["thread_ts"]]
            return web.json_response({"ok": True, "messages": found[::-1], "has_more": False})
        if method == "conversations.replies":
            thread = str(params.get("ts"))
            found = [p for p in posts if p["channel"] == channel and p["thread_ts"] == thread]
            return web.json_response({"ok": True, "messages": found, "has_more": False})
        if method == "auth.test":
            return web.json_response({"ok": True, "team_id": "T0001", "user_id": "UBOT"})
        return web.json_response({"ok": True})

    async def stats(_: web.Request) -> web.Response:
        figures = {"posts": posts, "rejected": sum(rejected.values()), "dropped": dropped[0]}
        return web.json_response(figures)

    app = web.Application()
    app.router.add_get("/stats", stats)
    app.router.add_route("*", "/api/{method}", api)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# --- one run ---------------------------------------------------------------------------------


def run(
    url: str,
    *,
    channels: int,
    code: str,
    limit: float,
    wrap: list[str],
    extra: list[str],
    fake: list[str],
) -> dict[str, Any]:
    port = free_port()
    slack = subprocess.Popen(
        [sys.executable, __file__, "--serve-slack", str(port), *fake], cwd=ROOT
    )
    try:
        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{port}/stats", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_API_URL": f"http://127.0.0.1:{port}/api/",
            "PYTHONPATH": code,
        }
        at = f"{AGENDA_AT:%Y-%m-%dT%H:%M:%SZ}"
        started = time.time()
        cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        clock = subprocess.Popen(
            [*wrap, sys.executable, "-m", "scheduler", "--once", "--at", at, *extra],
            cwd=code,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            _, err = clock.communicate(timeout=limit)
            stopped = False
        except subprocess.TimeoutExpired:
            clock.kill()
            _, err = clock.communicate()
            stopped = True
        exited = time.time() - started
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_s = used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime
        figures = httpx.get(f"http://127.0.0.1:{port}/stats", timeout=30).json()
    finally:
        slack.terminate()
        slack.wait()
    with open(_expected_file(url)) as expected_file:
        replies = json.load(expected_file)["replies"]
    return {
        **_tally(figures, channels, replies, started, exited, stopped, err),
        "clock_cpu_s": round(cpu_s, 1),
    }


def _tally(
    figures: dict[str, Any],
    channels: int,
    replies: int,
    started: float,
    exited: float,
    stopped: bool,
    err: str,
) -> dict[str, Any]:
    posts = figures["posts"]
    seen = collections.Counter((p["channel"], p["thread_ts"] is None, p["text"]) for p in posts)
    duplicates = sum(count - 1 for count in seen.values())
    by_channel: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for post in posts:
        by_channel[post["channel"]].append(post)
    complete, last = 0, 0.0
    for channel_posts in by_channel.values():
        tops = [p for p in channel_posts if p["thread_ts"] is None]
        threads = {p["text"] for p in channel_posts if p["thread_ts"] is not None}
        if tops and len(threads) == replies:
            complete += 1
            last = max(last, max(p["at"] for p in channel_posts) - started)
    firsts = sorted(min(p["at"] for p in ps) - started for ps in by_channel.values()) or [0.0]
    spans = sorted(
        max(p["at"] for p in ps) - min(p["at"] for p in ps) for ps in by_channel.values()
    )
    return {
        "first_post_s": {
            "first": round(firsts[0], 1),
            "median": round(firsts[len(firsts) // 2], 1),
            "last": round(firsts[-1], 1),
        },
        "channel_span_s": {
            "median": round((spans or [0])[len(spans) // 2], 1),
            "max": round((spans or [0])[-1], 1),
        },
        "channels": channels,
        "replies_each": replies,
        "complete": complete,
        "missed": channels - complete,
        "duplicates": duplicates,
        "posts": len(posts),
        "rejected_429": figures["rejected"],
        "dropped_after_taking": figures["dropped"],
        "last_post_s": round(last, 1),
        "clock_exit_s": round(exited, 1),
        "stopped_at_limit": stopped,
        "errors": [ln for ln in err.splitlines() if " ERROR " in ln or "Traceback" in ln][:5],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--limit", type=float, default=240.0, help="stop the clock after this")
    parser.add_argument("--code", default=str(ROOT), help="the checkout whose clock runs")
    parser.add_argument("--database", default="bench_fanout")
    parser.add_argument("--wrap", default="", help="a command to run the clock under, e.g. py-spy")
    parser.add_argument("--clock-args", default="", help="more arguments for the clock")
    parser.add_argument("--reseed", action="store_true", help="a fresh database, seeded anew")
    parser.add_argument("--drop", type=int, default=0, help="drop the answer to every Nth post")
    parser.add_argument("--no-history", action="store_true", help="refuse conversations.*")
    parser.add_argument("--serve-slack", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_slack:
        logging.disable(logging.ERROR)
        serve_slack(args.serve_slack, drop=args.drop, history=not args.no_history)
        return
    if args.reseed or not os.path.exists(_expected_file(_url(args.database))):
        url = fresh_database(args.database)
        started = time.monotonic()
        seed(url, args.channels)
        print(f"seeded {args.channels} workspaces in {time.monotonic() - started:.0f} s")
    else:  # the same seeded workspaces, their agendas not yet posted
        url = _url(args.database)
        engine = make_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM delivery"))
        engine.dispose()
    figures = run(
        url,
        channels=args.channels,
        code=args.code,
        limit=args.limit,
        wrap=args.wrap.split(),
        extra=args.clock_args.split(),
        fake=[f"--drop={args.drop}"] + (["--no-history"] if args.no_history else []),
    )
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
