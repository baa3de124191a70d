"""Throughput and latency of signed `/lead` requests: Tandem versus a bare acking Bolt app.

    .venv/bin/python bench/ack.py [--seconds 15] [--connections 32]

Starts `python -m bot` on a fresh PostgreSQL database and `bench/bare_app.py`, each in turn
on the same server stack, drives each with wrk (Debian package `wrk`) replaying pre-signed,
all-distinct `/lead` ratings, then checks that every confirmed rating is in the database.
PostgreSQL is taken from TANDEM_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1/test).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import drive, free_port, fresh_database, serve  # noqa: E402

from storage.db import normalize_url  # noqa: E402
from tests.slack_client import signature  # noqa: E402

SECRET = "bench-secret"


def write_requests(path: Path, count: int) -> None:
    """`count` distinct signed `/lead` ratings, one per line: timestamp, signature, body."""
    now = int(time.time())
    with path.open("w") as out:
        for n in range(count):
            body = urlencode(
                {
                    "team_id": f"T{n % 4}",
                    "user_id": f"U{n // 1000}",
                    "channel_id": "C1",
                    "command": "/lead",
                    "trigger_id": "1.2.3",
                    "api_app_id": "A1",
                    "response_url": "https://hooks.slack.invalid/1",
                    "text": f'BENCH-{n} {n % 5 + 1} campaign:"Q{n % 4 + 1} webinar" '
                    f"-budget +need the contact moved on to another company",
                }
            )
            out.write(f"{now}\t{signature(secret=SECRET, timestamp=now, body=body)}\t{body}\n")


def report(name: str, r: dict[str, int]) -> float:
    rate = r["requests"] / (r["duration_us"] / 1e6)
    print(
        f"{name:<8} {rate:>9,.0f} req/s   p50 {r['p50_us'] / 1000:6.1f} ms   "
        f"p99 {r['p99_us'] / 1000:6.1f} ms   max {r['max_us'] / 1000:7.1f} ms   "
        f"non-2xx {r['status_errors']}   socket errors {r['socket_errors']}   "
        f"confirmed {r['confirmed']:,}   reused {r['exhausted']}"
    )
    return rate


def _clear(database: str) -> None:
    engine = create_engine(normalize_url(database))
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM lead_rating"))
    engine.dispose()


def _stored(database: str) -> int:
    engine = create_engine(normalize_url(database))
    with engine.connect() as connection:
        stored = int(connection.execute(text("SELECT count(*) FROM lead_rating")).scalar_one())
    engine.dispose()
    return stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--requests", type=int, default=300_000)
    parser.add_argument("--workers", default="1", help="web worker counts to compare, e.g. 1,2")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench/ack.py needs wrk: apt-get install wrk")
    workdir = Path(tempfile.mkdtemp(prefix="tandem-bench-"))
    requests = workdir / "requests.tsv"
    write_requests(requests, args.requests)
    database = fresh_database("tandem_bench")
    base_env = {
        **os.environ,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
    }
    print(f"{args.connections} connections, {args.seconds} s, wrk -t2, {os.cpu_count()} cores")
    for workers in [int(n) for n in args.workers.split(",")]:
        results = {}
        for name, command, extra in [
            ("tandem", [sys.executable, "-m", "bot"], {"DATABASE_URL": database}),
            ("bare", [sys.executable, str(ROOT / "bench" / "bare_app.py")], {}),
        ]:
            port = free_port()
            env = {**base_env, **extra, "PORT": str(port), "WEB_CONCURRENCY": str(workers)}
            server = serve(command, env, port)
            try:
                drive(port, "lead.lua", requests, 2, args.connections)  # warm up
                if name == "tandem":
                    _clear(database)
                results[name] = drive(port, "lead.lua", requests, args.seconds, args.connections)
            finally:
                server.terminate()
                server.wait(timeout=30)
        print(f"-- {workers} worker(s)")
        tandem = report("tandem", results["tandem"])
        bare = report("bare", results["bare"])
        print(f"ratio    tandem/bare = {tandem / bare:.2f}")
        stored = _stored(database)
        confirmed = results["tandem"]["confirmed"]
        # Requests still in flight when wrk stops may be stored without being counted.
        kept = confirmed <= stored <= confirmed + args.connections
        verdict = "every confirmed rating is stored" if kept else "MISMATCH"
        print(f"stored   {stored:,} ratings for {confirmed:,} confirmations -> {verdict}")
    shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
