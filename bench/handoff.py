"""Throughput of the lead webhook, and the time from a lead handed over to its card posted.

    .venv/bin/python bench/handoff.py [--seconds 15] [--connections 32] [--workers 2]

Starts `python -m bot` on a fresh PostgreSQL database with a fake Slack Web API
(tests/fake_slack.py) running in this process, sets up four workspaces with a handoff
channel and a webhook secret each, then:

1. drives `POST /hooks/leads` with wrk (Debian package `wrk`), replaying pre-built,
   all-distinct leads with their workspace's bearer secret, counts the 202 answers, then
   checks that every accepted lead is a stored handoff and waits until every card has
   been posted to the fake Slack exactly once (claim `done`, `message_ts` recorded);
2. on the quiet server, hands over leads one at a time and times each from sending the
   request to the fake Slack having received its card.

PostgreSQL is taken from TANDEM_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1/test).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import drive, free_port, fresh_database, serve  # noqa: E402

from handlers.handoff.hook import token_hash  # noqa: E402
from storage.db import normalize_url, session_scope  # noqa: E402
from storage.handoffs import update_setup  # noqa: E402
from storage.models import utcnow  # noqa: E402
from tests.fake_slack import FakeSlack  # noqa: E402

DATABASE = "tandem_bench_handoff"
# The measured workspaces, and one for the warm-up whose leads and cards are left out.
TEAMS = {f"T{n}": f"C{n}" for n in range(1, 5)}
WARM_TEAM, WARM_CHANNEL = "TW", "CW"
CARD_TEXT = "New lead handed over: "


def secret_of(team: str) -> str:
    return f"bench-hook-{team.lower()}"


def lead_body(ref: str, n: int) -> str:
    return json.dumps(
        {
            "lead": ref,
            "name": f"Dana Ruiz {n}",
            "company": f"Acme Corp {n % 97}",
            "email": f"dana{n}@acme.example",
            "campaign": f"Q{n % 4 + 1} webinar",
            "segment": "enterprise",
            "score": n % 100,
            "url": f"https://crm.example.com/leads/{n}",
            "notes": "asked for a demo after the webinar; budget approved for next quarter",
        }
    )


def write_requests(path: Path, prefix: str, count: int, teams: list[str]) -> None:
    """`count` distinct leads `PREFIX-n`, one per line: the workspace's secret, the body."""
    with path.open("w") as out:
        for n in range(count):
            team = teams[n % len(teams)]
            out.write(f"{secret_of(team)}\t{lead_body(f'{prefix}-{n}', n)}\n")


def set_up_workspaces(engine: Engine) -> None:
    """Each workspace: a handoff channel, a 4 h SLA, and the hash of its webhook secret."""
    with session_scope(engine) as session:
        for team, channel in [*TEAMS.items(), (WARM_TEAM, WARM_CHANNEL)]:
            update_setup(
                session=session,
                team_id=team,
                now=utcnow(),
                channel_id=channel,
                sla_minutes=240,
                token_hash=token_hash(secret_of(team)),
            )


def cpu_seconds(server: int) -> dict[str, float]:
    """CPU time used so far, by group: the server and its workers, PostgreSQL, this process
    (the fake Slack), wrk (this process's children), and the rest of the machine's."""
    tick = os.sysconf("SC_CLK_TCK")
    used = dict.fromkeys(("tandem", "postgres", "fake slack", "wrk", "other"), 0.0)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name, fields = stat[stat.index("(") + 1 : stat.rindex(")")], stat.rsplit(")", 1)[1].split()
        pid, parent, seconds = int(entry.name), int(fields[1]), (int(fields[11]) + int(fields[12]))
        if server in (pid, parent):
            group = "tandem"
        elif name.startswith("postgres"):
            group = "postgres"
        elif pid == os.getpid():
            group = "fake slack"
        else:
            continue
        used[group] += seconds / tick
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    used["wrk"] = children.ru_utime + children.ru_stime
    # user nice system idle iowait irq softirq steal: all but idle and iowait were busy.
    busy = [int(n) for n in Path("/proc/stat").read_text().split()[1:9]]
    used["other"] = (sum(busy) - busy[3] - busy[4]) / tick - sum(used.values())
    return used


def card_ref(params: dict[str, Any]) -> str:
    """The lead reference a posted card is about, from its text (or else its header)."""
    message = str(params.get("text") or "")
    if message.startswith(CARD_TEXT):
        return message.removeprefix(CARD_TEXT)
    for block in params.get("blocks") or []:
        if block.get("type") == "header":
            return str(block["text"]["text"]).removeprefix("New lead: ")
    return ""


def posted_refs(fake: FakeSlack, channels: Iterable[str]) -> Counter[str]:
    wanted = set(channels)
    return Counter(
        card_ref(params)
        for params in fake.sent("chat.postMessage")
        if params.get("channel") in wanted
    )


def _teams(column: str) -> str:
    return f"{column} IN ({', '.join(repr(team) for team in TEAMS)})"


def card_state(engine: Engine) -> dict[str, int]:
    """Handoffs stored in the measured workspaces, their `done` card claims, cards recorded."""
    with engine.connect() as connection:
        row = connection.execute(
            text(
                f"""
                SELECT
                  (SELECT count(*) FROM handoff WHERE {_teams("team_id")}),
                  (SELECT count(*) FROM handoff_post
                     WHERE {_teams("team_id")} AND what = 'card' AND status = 'done'),
                  (SELECT count(*) FROM handoff_post
                     WHERE {_teams("team_id")} AND what = 'card' AND status <> 'done'),
                  (SELECT count(*) FROM handoff
                     WHERE {_teams("team_id")} AND message_ts IS NOT NULL)
                """
            )
        ).one()
    return dict(zip(("stored", "done", "pending", "recorded"), map(int, row), strict=True))


def stored_refs(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        rows = connection.execute(text(f"SELECT lead_ref FROM handoff WHERE {_teams('team_id')}"))
        return {str(ref) for (ref,) in rows}


def wait_for_cards(
    engine: Engine, fake: FakeSlack, *, within: float
) -> tuple[dict[str, int], int, float]:
    """Poll until every stored handoff has its card posted, claimed done and recorded.

    Requests wrk had in flight when it stopped may still be stored after it: the state
    counts as settled only once it held on two polls in a row with no new handoff.
    """
    started = time.monotonic()
    last = None
    while True:
        state = card_state(engine)
        posted = sum(posted_refs(fake, TEAMS.values()).values())
        settled = state["done"] == state["recorded"] == state["stored"] <= posted
        waited = time.monotonic() - started
        if (settled and state == last) or waited > within:
            return state, posted, waited
        last = state if settled else None
        time.sleep(0.5)


def wait_quiet(engine: Engine, fake: FakeSlack, channel: str, within: float = 60) -> None:
    """Wait until the warm-up's cards are all posted, so they don't load the measured run."""
    deadline = time.monotonic() + within
    with engine.connect() as connection:
        expected = connection.execute(
            text("SELECT count(*) FROM handoff WHERE team_id = :team"), {"team": WARM_TEAM}
        ).scalar_one()
    while time.monotonic() < deadline:
        if sum(posted_refs(fake, [channel]).values()) >= expected:
            return
        time.sleep(0.2)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def one_at_a_time(port: int, fake: FakeSlack, count: int) -> None:
    """Hand over `count` leads one after another; time the 202 and the card reaching Slack."""
    answers: list[float] = []
    cards: list[float] = []
    lost = 0
    team = next(iter(TEAMS))
    headers = {"Authorization": f"Bearer {secret_of(team)}"}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as client:
        for n in range(count):
            ref = f"SOLO-{n}"
            body = lead_body(ref, n).encode()
            seen = len(fake.calls)
            started = time.perf_counter()
            answer = client.post(
                "/hooks/leads", content=body, headers={"Content-Type": "application/json"}
            )
            answered = time.perf_counter()
            if answer.status_code != 202:
                raise SystemExit(f"{ref}: {answer.status_code} {answer.text}")
            answers.append(answered - started)
            found = None
            while found is None and time.perf_counter() - started < 10:
                calls = fake.calls[seen:]  # a copy: the fake's threads only append
                for call in calls:
                    if call.method == "chat.postMessage" and card_ref(call.params) == ref:
                        found = time.perf_counter()
                        break
                else:
                    time.sleep(0.0002)
            if found is None:
                lost += 1
            else:
                cards.append(found - started)
            time.sleep(0.02)
    print(
        f"answer   p50 {ms(statistics.median(answers))}   p99 {ms(percentile(answers, 0.99))}"
        f"   max {ms(max(answers))}   (202 from the webhook)"
    )
    if cards:
        print(
            f"card     p50 {ms(statistics.median(cards))}   p99 {ms(percentile(cards, 0.99))}"
            f"   max {ms(max(cards))}   (request sent -> chat.postMessage received)"
        )
    print(f"posted   {len(cards)} of {count} cards" + (f", {lost} not within 10 s" if lost else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--solo", type=int, default=200, help="leads sent one at a time")
    parser.add_argument("--drain", type=float, default=120, help="seconds to wait for cards")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench/handoff.py needs wrk: apt-get install wrk")
    workdir = Path(tempfile.mkdtemp(prefix="tandem-bench-handoff-"))
    requests, warm_requests = workdir / "leads.tsv", workdir / "warm.tsv"
    write_requests(requests, "BENCH", args.requests, list(TEAMS))
    write_requests(warm_requests, "WARM", 20_000, [WARM_TEAM])
    database = fresh_database(DATABASE)
    fake = FakeSlack().start()
    port = free_port()
    env = {
        **os.environ,
        "SLACK_SIGNING_SECRET": "bench-secret",
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_API_URL": fake.url,
        "DATABASE_URL": database,
        "PORT": str(port),
        "WEB_CONCURRENCY": str(args.workers),
    }
    print(
        f"{args.connections} connections, {args.seconds} s, wrk -t2, "
        f"{args.workers} worker(s), {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.2f} before start"
    )
    server = serve([sys.executable, "-m", "bot"], env, port)  # migrates before it listens
    engine = create_engine(normalize_url(database))
    try:
        set_up_workspaces(engine)
        drive(
            port, "handoff.lua", warm_requests, 2, args.connections
        )  # warm up, in its own workspace
        wait_quiet(engine, fake, WARM_CHANNEL)
        before = cpu_seconds(server.pid)
        r = drive(port, "handoff.lua", requests, args.seconds, args.connections)
        after = cpu_seconds(server.pid)
        rate = r["requests"] / (r["duration_us"] / 1e6)
        print(
            f"webhook  {rate:>7,.0f} req/s   p50 {r['p50_us'] / 1000:6.1f} ms   "
            f"p99 {r['p99_us'] / 1000:6.1f} ms   max {r['max_us'] / 1000:7.1f} ms   "
            f"non-2xx {r['non2xx']}   socket errors {r['socket_errors']}   "
            f"accepted (202) {r['accepted']:,}   repeats (200) {r['repeated']}   "
            f"reused {r['exhausted']}"
        )
        print(f"handoffs {r['accepted'] / (r['duration_us'] / 1e6):>7,.0f} accepted/s")
        split = ", ".join(f"{k} {after[k] - before[k]:.1f}" for k in after)
        print(f"CPU s    {split}  (of {os.cpu_count()} x {r['duration_us'] / 1e6:.0f} s)")
        state, posted, waited = wait_for_cards(engine, fake, within=args.drain)
        accepted, stored = r["accepted"], state["stored"]
        # Requests still in flight when wrk stops may be stored without being counted.
        kept = accepted <= stored <= accepted + args.connections
        verdict = "every 202 is stored" if kept else "MISMATCH"
        print(f"stored   {stored:,} handoffs for {accepted:,} accepted -> {verdict}")
        refs = posted_refs(fake, TEAMS.values())
        duplicates = sum(n - 1 for n in refs.values() if n > 1)
        expected = stored_refs(engine)
        missing = len(expected - refs.keys())
        stray = len(refs.keys() - expected)
        settled = state["done"] == state["recorded"] == stored <= posted
        drained = f"all in {waited:.1f} s" if settled else f"NOT all in {waited:.0f} s"
        print(
            f"cards    {posted:,} chat.postMessage, {state['done']:,} claims done, "
            f"{state['pending']} not done, {state['recorded']:,} message_ts recorded; "
            f"{duplicates} duplicate(s), {missing} missing, {stray} not a stored handoff; "
            f"{drained} after wrk stopped (polled every 0.5 s)"
        )
        once = duplicates == missing == stray == 0 and settled
        print(f"         -> {'every card posted exactly once' if once else 'MISMATCH'}")
        print(f"-- one lead at a time, {args.solo} leads, quiet server")
        one_at_a_time(port, fake, args.solo)
    finally:
        server.terminate()
        server.wait(timeout=30)
        engine.dispose()
        fake.stop()
        shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
