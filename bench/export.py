"""`/tandem export` of 1,000,000 rows on PostgreSQL: time and peak memory.

Fills a fresh database (server-side, with generate_series, so this process does not grow)
with one workspace's records — 400k lead ratings, 200k intel posts, 200k deals, 100k
handoffs, 100k collateral items with 200k votes — plus another workspace's, then writes the
export's seven CSV files exactly as `/tandem export` does (handlers.tandem.export.write_all)
and reports rows per second and how far the process's peak RSS grew; then uploads them as
`/tandem export` does, to the tests' fake Slack in another process, and reports the RSS
again.

    .venv/bin/python bench/export.py [--rows 1000000] [--again] [--cursor] [--v2]

`--again` exports the database the last run filled; `--cursor` fetches the rows into Python
through a server-side cursor (as on SQLite) instead of PostgreSQL's COPY, and `--v2`
uploads with slack_sdk's `files_upload_v2`, to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import ADMIN_URL, ROOT, fresh_database
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from bot.slack import async_web_client
from handlers.tandem.export import Written, upload, write_all
from storage.db import make_engine, migrate, normalize_url
from storage.export import KINDS, export_rows

DATABASE = "tandem_bench_export"

# Each kind's share of the rows, and the INSERT … SELECT that makes `n` of them for `team`.
FILL = {
    "lead_rating": (
        0.4,
        """INSERT INTO lead_rating (team_id, lead_ref, lead_key, user_id, score, campaign,
               segment, budget, authority, need, timing, reason, rated_at)
           SELECT :team, 'LEAD-' || i, 'lead-' || i, 'U' || (i % 500), 1 + i % 5,
               'Campaign ' || (i % 40), 'enterprise', i % 2 = 0, NULL, i % 3 = 0, NULL,
               CASE WHEN i % 10 = 0 THEN '=cmd|'' /C calc''!A0' ELSE
               'the contact left the company, budget moved to next year' END,
               now() - (i % 365) * interval '1 day'
           FROM generate_series(1, :n) AS i""",
    ),
    "intel_post": (
        0.2,
        """INSERT INTO intel_post (team_id, kind, subject, subject_key, text, author_id,
               posted_by, channel_id, permalink, created_at)
           SELECT :team, 'competitor', 'Acme ' || (i % 50), 'acme ' || (i % 50),
               'Acme cut list price 20% in EMEA, "bundling" support, deal ' || i,
               'U' || (i % 500), 'U' || (i % 500), 'C1',
               'https://example.slack.com/archives/C1/p' || i, now()
           FROM generate_series(1, :n) AS i""",
    ),
    "win_loss": (
        0.2,
        """INSERT INTO win_loss (team_id, outcome, deal_ref, deal_key, competitor,
               competitor_key, amount, campaign, reason, user_id, reported_at)
           SELECT :team, CASE WHEN i % 3 = 0 THEN 'win' ELSE 'loss' END, 'DEAL-' || i,
               'deal-' || i, 'Acme', 'acme', 48000.50 + i, 'Q3 webinar',
               'price was 30% higher', 'U' || (i % 500), now()
           FROM generate_series(1, :n) AS i""",
    ),
    "handoff": (
        0.1,
        """INSERT INTO handoff (team_id, lead_ref, lead_key, name, company, email, campaign,
               score, url, notes, channel_id, sla_minutes, due_at, status, received_at)
           SELECT :team, 'H-' || i, 'h-' || i, 'Dana Ruiz', 'Acme Corp', 'dana@acme.example',
               'Q3 webinar', 87, 'https://crm.example.com/leads/' || i, '@asked for a demo',
               'C7', 240, now(), 'accepted', now()
           FROM generate_series(1, :n) AS i""",
    ),
    "collateral": (
        0.1,
        """INSERT INTO collateral (team_id, url, title, tags, author_id, channel_id, created_at)
           SELECT :team, 'https://example.com/deck-' || i || '.pdf', 'Deck ' || i,
               'hotels case-study', 'U' || (i % 500), 'C1', now()
           FROM generate_series(1, :n) AS i""",
    ),
}
VOTES = """INSERT INTO collateral_vote (team_id, collateral_id, user_id, vote, voted_at)
           SELECT team_id, id, 'U' || v, CASE WHEN v = 1 THEN 'helpful' ELSE 'used' END, now()
           FROM collateral, generate_series(1, 2) AS v WHERE team_id = :team"""


def fill(url: str, rows: int) -> None:
    engine = make_engine(url)
    migrate(engine)
    with engine.begin() as connection:
        for team, scale in (("T1", 1.0), ("T2", 0.05)):
            for share, statement in FILL.values():
                connection.execute(text(statement), {"team": team, "n": int(rows * share * scale)})
            connection.execute(text(VOTES), {"team": team})
        connection.execute(text("ANALYZE"))
    engine.dispose()


def backend_cpu(engine: Engine) -> float:
    """CPU seconds the database's server processes for this database have used so far."""
    with engine.connect() as connection:
        pids = connection.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        ).scalars()
        ticks = 0
        for pid in pids:
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def write_by_cursor(folder: Path, *, engine: Engine, team_id: str) -> list[Written]:
    """The export as SQLite makes it (rows fetched through a server-side cursor on
    PostgreSQL, written by Python's csv), to compare with PostgreSQL's COPY."""
    written = []
    for kind in KINDS:
        path = folder / f"cursor-{kind.name}.csv"
        rows = 0
        with path.open("w", newline="", encoding="utf-8") as out, Session(engine) as session:
            writer = csv.writer(out, lineterminator="\n")
            for batch in export_rows(session=session, kind=kind, team_id=team_id):
                writer.writerows(batch)
                rows += len(batch)
        written.append(Written(kind, path, rows))
    return written


SLACK = (
    "import sys, time; from tests.fake_slack import FakeSlack; "
    "print(FakeSlack().start().url, flush=True); time.sleep(3600)"
)


def send(paths: list[Path], *, v2: bool) -> float:
    """Upload the files as `/tandem export` does, to the tests' fake Slack in another
    process; the seconds it took."""
    slack = subprocess.Popen(
        [sys.executable, "-c", SLACK], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert slack.stdout is not None
        client = async_web_client(token="xoxb-bench", base_url=slack.stdout.readline().strip())
        started = time.perf_counter()
        if v2:
            files = [{"file": str(p), "filename": p.name, "title": p.name} for p in paths]
            asyncio.run(client.files_upload_v2(channel="DBENCH", file_uploads=files))
        else:
            asyncio.run(upload(client, channel="DBENCH", paths=paths, comment="bench"))
        return time.perf_counter() - started
    finally:
        slack.kill()
        slack.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--again", action="store_true", help="export the last run's data")
    parser.add_argument(
        "--v2", action="store_true", help="upload with slack_sdk's files_upload_v2, to compare"
    )
    parser.add_argument(
        "--cursor", action="store_true", help="fetch rows into Python instead of COPY"
    )
    args = parser.parse_args()
    if args.again:
        url = make_url(normalize_url(ADMIN_URL)).set(database=DATABASE).render_as_string(False)
    else:
        url = fresh_database(DATABASE)
        started = time.perf_counter()
        fill(url, args.rows)
        print(f"filled {args.rows:,} rows in {time.perf_counter() - started:.1f} s")

    engine = make_engine(url)
    with tempfile.TemporaryDirectory() as folder:
        # A first, small export loads every module and opens the pool's connection.
        write_all(Path(folder), engine=engine, team_id="T2", since=None, day="warm")
        before = peak_rss_mb()
        cpu, server = own_cpu(), backend_cpu(engine)
        started = time.perf_counter()
        if args.cursor:
            written = write_by_cursor(Path(folder), engine=engine, team_id="T1")
        else:
            written = write_all(Path(folder), engine=engine, team_id="T1", since=None, day="b")
        seconds = time.perf_counter() - started
        growth = peak_rss_mb() - before
        cpu, server = own_cpu() - cpu, backend_cpu(engine) - server
        size = sum(w.path.stat().st_size for w in written)
        sent = send([w.path for w in written], v2=args.v2)
        sent_growth = peak_rss_mb() - before
    engine.dispose()
    total = sum(w.rows for w in written)
    for w in written:
        print(f"  {w.kind.name:<13} {w.rows:>9,} rows")
    print(
        f"exported {total:,} rows ({size / 1e6:,.0f} MB of CSV) in {seconds:.2f} s: "
        f"{total / seconds:,.0f} rows/s; peak RSS {before:,.0f} MB before, grew "
        f"{growth:,.1f} MB"
    )
    print(
        f"CPU: this process {cpu:.2f} s, PostgreSQL {server:.2f} s "
        f"({total / (cpu + server):,.0f} rows per CPU-second; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    print(
        f"uploaded the {len(written)} files to a local fake Slack in {sent:.1f} s; peak RSS "
        f"then {sent_growth:,.1f} MB above the start"
    )
    ok = total / seconds >= 100_000 and max(growth, sent_growth) <= 50
    print("target (>= 100,000 rows/s, RSS growth <= 50 MB):", "met" if ok else "NOT met")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
