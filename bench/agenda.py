"""Agendas at scale: one workspace's monthly and quarterly agenda among 100 workspaces' history.

    .venv/bin/python bench/agenda.py [--years 1,5] [--runs 7] [--statements] [--explain]

For each history length it fills a fresh PostgreSQL database (`bench_agenda_<n>y`, migrated
by Alembic) with 100 workspaces' ratings, handoffs, intel, deals, collateral, votes and
glossary terms, about 4,000 rows per workspace and year (≈ 2,000,000 rows for 5 years),
written by `INSERT … SELECT generate_series` in SQL, then `VACUUM ANALYZE`. Then, in a fresh
process per agenda, it builds one workspace's monthly and quarterly agenda the way the clock
does (`scheduler.agenda.build_agenda` in its own session: blocks, thread, charts and the
invitation), once to warm up and `--runs` times measured, and reports the wall time of each
build (median and max; beside it the building process's CPU time, which the machine's other
load disturbs less) and the process's peak RSS. `--statements` lists the slowest SQL
statements of one build; `--explain` prints `EXPLAIN (ANALYZE, BUFFERS)` of the slowest.
The databases are dropped at the end unless `--keep`. PostgreSQL is taken from
TANDEM_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1/test).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import ADMIN_URL, fresh_database  # noqa: E402

from storage.db import make_engine, migrate, normalize_url  # noqa: E402

WORKSPACES = 100
TEAM = "T7"  # the workspace whose agendas are built
END = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # "now": the history ends here
PER_YEAR = {  # rows per workspace and year
    "lead_rating": 1500,
    "handoff": 800,
    "intel_post": 800,
    "win_loss": 400,
    "collateral": 40,
    "collateral_vote": 400,
    "glossary_term": 20,
}
CAMPAIGNS, COMPETITORS, REASONS = 12, 30, 15

# Each statement gets :n (rows), :span (seconds of history) and :end. Row g is at
# end - span * g / n, in workspace T(g % 100), so every workspace spans the whole history;
# its other values follow k = g / 100, its number within the workspace.
AT = "CAST(:end AS timestamptz) - make_interval(secs => CAST(:span AS float8) * g / :n)"
TEAM_OF = f"'T' || (g % {WORKSPACES})"
# Now and then a competitor not named before, so agendas have news to report.
RIVAL = f"CASE WHEN k % 97 = 0 THEN 'Newcomer ' || k ELSE 'Rival ' || (k % {COMPETITORS}) END"
FILL = {
    "lead_rating": f"""
        INSERT INTO lead_rating (team_id, lead_ref, lead_key, user_id, score, campaign, segment,
            budget, authority, need, timing, reason, rated_at)
        SELECT {TEAM_OF}, 'Lead-' || g, 'lead-' || g, 'U' || (k % 37), 1 + (k * 7) % 5,
            CASE WHEN k % 10 = 0 THEN NULL ELSE 'Campaign ' || (k % {CAMPAIGNS}) END,
            'Segment ' || (k % 4), k % 3 <> 0, k % 4 <> 0, k % 5 <> 0, CASE WHEN k % 7 = 0
            THEN NULL ELSE k % 2 = 0 END,
            CASE WHEN 1 + (k * 7) % 5 <= 2 THEN 'no budget this year, reason ' || (k % 50)
            ELSE '' END, {AT}
        FROM generate_series(1, :n) AS g, LATERAL (SELECT g / {WORKSPACES} AS k) AS w""",
    "handoff": f"""
        INSERT INTO handoff (team_id, lead_ref, lead_key, name, company, email, campaign,
            segment, score, notes, channel_id, sla_minutes, due_at, status, received_at,
            decided_by, decided_at, accept_seconds, reason)
        SELECT {TEAM_OF}, 'H-' || g, 'h-' || g, 'Person ' || g, 'Company ' || (k % 500),
            'p' || g || '@example.com', 'Campaign ' || (k % {CAMPAIGNS}), 'Segment ' || (k % 4),
            k % 100, 'came from the webinar', 'CHAND', 240, {AT} + interval '4 hours',
            s, {AT},
            CASE WHEN s = 'open' THEN NULL ELSE 'U' || (k % 37) END,
            CASE WHEN s = 'open' THEN NULL ELSE {AT} + make_interval(secs => 60 * (k % 600)) END,
            CASE WHEN s = 'accepted' THEN 60 * (k % 600) END,
            CASE WHEN s = 'rejected' THEN 'not our segment' END
        FROM generate_series(1, :n) AS g, LATERAL (SELECT g / {WORKSPACES} AS k) AS w,
            LATERAL (SELECT CASE WHEN k % 10 < 7 THEN 'accepted' WHEN k % 10 < 9 THEN 'rejected'
                ELSE 'open' END AS s) AS st""",
    "intel_post": f"""
        INSERT INTO intel_post (team_id, kind, subject, subject_key, text, author_id, posted_by,
            channel_id, created_at)
        SELECT {TEAM_OF}, kind, CASE WHEN kind = 'competitor' THEN rival END,
            CASE WHEN kind = 'competitor' THEN lower(rival) END,
            'Heard on call ' || g || ': they cut prices and ship a new connector soon',
            'U' || (k % 37), 'U' || (k % 37), 'CINTEL', {AT}
        FROM generate_series(1, :n) AS g, LATERAL (SELECT g / {WORKSPACES} AS k) AS w,
            LATERAL (SELECT (ARRAY['competitor', 'competitor', 'customer', 'prospect',
                'market'])[1 + k % 5] AS kind) AS kinds,
            LATERAL (SELECT {RIVAL} AS rival) AS r""",
    "win_loss": f"""
        INSERT INTO win_loss (team_id, outcome, deal_ref, deal_key, competitor, competitor_key,
            amount, campaign, reason, user_id, reported_at)
        SELECT {TEAM_OF}, CASE WHEN k % 3 = 0 THEN 'win' ELSE 'loss' END, 'Deal-' || g,
            'deal-' || g, rival, lower(rival),
            1000 + k * 37 % 9000, 'Campaign ' || (k % {CAMPAIGNS}),
            CASE WHEN k % 89 = 0 THEN 'Rare reason ' || k ELSE 'Reason number ' || (k % {REASONS})
            END, 'U' || (k % 37), {AT}
        FROM generate_series(1, :n) AS g, LATERAL (SELECT g / {WORKSPACES} AS k) AS w,
            LATERAL (SELECT {RIVAL} AS rival) AS r""",
    # Explicit ids, so a vote can name an item of its own workspace created before it.
    "collateral": f"""
        INSERT INTO collateral (id, team_id, url, title, tags, author_id, channel_id,
            message_ts, created_at)
        SELECT g, {TEAM_OF}, 'https://example.com/doc/' || g, 'Battle card ' || g,
            ' pricing rival ', 'U' || (k % 37), 'CCOLL', '1700000000.' || g, {AT}
        FROM generate_series(1, :n) AS g, LATERAL (SELECT g / {WORKSPACES} AS k) AS w""",
    # Vote g lands on an item of its workspace made up to a few months before it.
    "collateral_vote": f"""
        INSERT INTO collateral_vote (team_id, collateral_id, user_id, vote, voted_at)
        SELECT {TEAM_OF}, LEAST(
                (CAST(g AS bigint) * :items / :n / {WORKSPACES} + 1 + k % 5) * {WORKSPACES}
                + g % {WORKSPACES},
                :items - {WORKSPACES} + g % {WORKSPACES}),
            'U' || g, (ARRAY['helpful', 'helpful', 'not_helpful', 'used'])[1 + k % 4], {AT}
        FROM generate_series(1, :n) AS g, LATERAL (SELECT g / {WORKSPACES} AS k) AS w""",
    "glossary_term": f"""
        INSERT INTO glossary_term (team_id, term, term_key, definition, updated_by, updated_at)
        SELECT {TEAM_OF}, 'Term ' || g, 'term ' || g, 'What both teams mean by it', 'U1', {AT}
        FROM generate_series(1, :n) AS g, LATERAL (SELECT g / {WORKSPACES} AS k) AS w""",
}


def fill(url: str, years: int) -> int:
    """Migrate the empty database at `url` and write `years` of history; the rows written."""
    engine = make_engine(url)
    migrate(engine)
    span = years * 365 * 86400
    counts = {table: per * years * WORKSPACES for table, per in PER_YEAR.items()}
    with engine.begin() as connection:
        for table, statement in FILL.items():
            started = time.perf_counter()
            connection.execute(
                text(statement),
                {"n": counts[table], "span": span, "end": END, "items": counts["collateral"]},
            )
            print(
                f"  {table:<16} {counts[table]:>9,} rows in {time.perf_counter() - started:5.1f} s"
            )
        connection.execute(
            text("SELECT setval('collateral_id_seq', (SELECT max(id) FROM collateral))")
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return sum(counts.values())


def child(url: str, kind: str, runs: int, statements: bool, explain: bool) -> None:
    """Build `kind`'s agenda for TEAM like the clock does; print the figures as JSON."""
    from sqlmodel import Session

    from core.heap import freeze_imports
    from core.meetings import occurrences
    from core.meetings import schedule_of as schedule
    from scheduler.agenda import build_agenda
    from tests.factories import make_cadence

    engine = make_engine(url)
    cadence = make_cadence(team_id=TEAM, kind=kind, now=END - timedelta(days=3000))
    [occurrence] = occurrences(schedule(cadence), after=END, count=1)
    timings: list[tuple[float, str, Any]] = []

    def build() -> Any:
        with Session(engine) as session:
            return build_agenda(session=session, cadence=cadence, occurrence=occurrence, now=END)

    freeze_imports()  # as the clock does once it has started
    rss_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    agenda = build()  # warm-up: first connection, matplotlib's fonts
    first = time.perf_counter() - started
    walls, cpus = [], []
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        build()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    if statements or explain:

        @event.listens_for(engine, "before_cursor_execute")
        def _start(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
            conn.info["started"] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def _stop(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
            timings.append((time.perf_counter() - conn.info["started"], statement, params))

        build()
    result: dict[str, Any] = {
        "first_ms": first * 1000,
        "walls_ms": [w * 1000 for w in walls],
        "cpus_ms": [c * 1000 for c in cpus],
        "rss_start_mb": rss_start / 1024,
        "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "blocks": len(agenda.blocks),
        "replies": len(agenda.thread),
        "files": [f.filename for f in agenda.files],
        "statements": [],
    }
    if statements or explain:
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            plans = [_plan(cursor, statement, params) for _, statement, params in timings]
        finally:
            raw.close()
        ranked = sorted(zip(timings, plans, strict=True), key=lambda t: -t[1]["ms"])
        total_ms = sum(p["ms"] for p in plans)
        total_pages = sum(p["pages"] for p in plans)
        wall_ms = sum(t[0] for t in timings) * 1000
        result["sql"] = {"count": len(plans), "ms": total_ms, "pages": total_pages, "wall": wall_ms}
        result["statements"] = [
            f"{p['ms']:7.2f} ms {p['pages']:6,} pages  " + " ".join(statement.split())[:150]
            for (_, statement, _), p in ranked[: 8 if statements else 0]
        ]
        if explain:
            (_, statement, params), plan = ranked[0]
            result["explain"] = {
                "statement": statement,
                "params": repr(params),
                "plan": plan["text"],
            }
    engine.dispose()
    print(json.dumps(result))


def _plan(cursor: Any, statement: str, params: Any) -> dict[str, Any]:
    """A statement's execution time and buffer pages touched, by EXPLAIN ANALYZE."""
    cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, params)
    [tree] = cursor.fetchone()[0]
    top = tree["Plan"]
    pages = top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0)
    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
    text_plan = "\n".join(row[0] for row in cursor.fetchall())
    return {"ms": tree["Execution Time"], "pages": pages, "text": text_plan}


def measure(url: str, kind: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", url, kind, "--runs", str(args.runs)]
    command += ["--statements"] * args.statements + ["--explain"] * args.explain
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", default="1,5", help="history lengths to compare, e.g. 1,5")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--statements", action="store_true")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="measure databases left by --keep")
    parser.add_argument("--keep", action="store_true", help="do not drop the databases")
    parser.add_argument("--child", nargs=2, metavar=("URL", "KIND"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.runs, args.statements, args.explain)
        return
    admin = create_engine(normalize_url(ADMIN_URL))
    print(f"{WORKSPACES} workspaces, agendas of {TEAM} at {END:%Y-%m-%d %H:%MZ}, {args.runs} runs")
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} before start")
    for years in [int(n) for n in args.years.split(",")]:
        name = f"bench_agenda_{years}y"
        if args.reuse:
            url = admin.url.set(database=name).render_as_string(hide_password=False)
            migrate(make_engine(url))
            print(f"-- {years} year(s) of history, database {name} reused and migrated")
        else:
            url = fresh_database(name)
            started = time.perf_counter()
            print(f"-- {years} year(s) of history, database {name}")
            rows = fill(url, years)
            print(f"  {rows:,} rows written in {time.perf_counter() - started:.0f} s")
        for kind in ("monthly", "quarterly"):
            r = measure(url, kind, args)
            walls = r["walls_ms"]
            print(
                f"{kind:<10} median {statistics.median(walls):6.1f} ms   max {max(walls):6.1f} ms"
                f"   (CPU of this process, median {statistics.median(r['cpus_ms']):5.1f} ms)"
                f"   first {r['first_ms']:6.1f} ms   peak RSS {r['rss_peak_mb']:5.1f} MB"
                f" (at start {r['rss_start_mb']:.1f})   {r['blocks']} blocks,"
                f" {r['replies']} replies, {len(r['files'])} files"
            )
            if "sql" in r:
                sql = r["sql"]
                print(
                    f"    {sql['count']} statements: {sql['ms']:.1f} ms executing in PostgreSQL"
                    f" (EXPLAIN ANALYZE), {sql['wall']:.1f} ms seen by the client,"
                    f" {sql['pages']:,} buffer pages touched"
                )
            for line in r["statements"]:
                print(f"    {line}")
            if "explain" in r:
                print("    slowest statement, EXPLAIN (ANALYZE, BUFFERS):")
                print("    " + " ".join(r["explain"]["statement"].split()))
                print(f"    params {r['explain']['params']}")
                for line in r["explain"]["plan"].splitlines():
                    print(f"    {line}")
        if not args.keep:
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


if __name__ == "__main__":
    main()
