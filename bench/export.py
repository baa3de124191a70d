"""`/tandem export` of 1,000,000 rows on PostgreSQL: time and peak memory.

Fills a fresh database (server-side, with generate_series, so this process does not grow)
with one workspace's records — 400k lead ratings, 200k intel posts, 200k deals, 100k
handoffs, 100k collateral items with 200k votes — plus another workspace's, then writes the
export's seven CSV files exactly as `/tandem export` does (handlers.tandem.export.write_all)
and reports rows per second and how far the process's peak RSS grew.

    .venv/bin/python bench/export.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from harness import ADMIN_URL, fresh_database
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from handlers.tandem.export import write_all
from storage.db import make_engine, migrate, normalize_url

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--again", action="store_true", help="export the last run's data")
    args = parser.parse_args()
    if args.again:
        url = make_url(normalize_url(ADMIN_URL)).set(database=DATABASE)
        url = url.render_as_string(hide_password=False)
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
        written = write_all(Path(folder), engine=engine, team_id="T1", since=None, day="bench")
        seconds = time.perf_counter() - started
        growth = peak_rss_mb() - before
        cpu, server = own_cpu() - cpu, backend_cpu(engine) - server
        size = sum(w.path.stat().st_size for w in written)
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
    ok = total / seconds >= 100_000 and growth <= 50
    print("target (>= 100,000 rows/s, RSS growth <= 50 MB):", "met" if ok else "NOT met")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
