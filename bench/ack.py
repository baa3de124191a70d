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
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage.db import normalize_url  # noqa: E402
from tests.slack_client import signature  # noqa: E402

SECRET = "bench-secret"
ADMIN_URL = os.environ.get("TANDEM_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1/test")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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


def fresh_database() -> str:
    admin = create_engine(normalize_url(ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text('DROP DATABASE IF EXISTS "tandem_bench" WITH (FORCE)'))
        connection.execute(text('CREATE DATABASE "tandem_bench"'))
    url = admin.url.set(database="tandem_bench").render_as_string(hide_password=False)
    admin.dispose()
    return url


def serve(command: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    for _ in range(300):
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{command} did not start")


def drive(port: int, requests: Path, seconds: int, connections: int) -> dict[str, int]:
    threads = 2
    done = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "5s",
            "-s",
            str(ROOT / "bench" / "lead.lua"),
            f"http://127.0.0.1:{port}",
            "--",
            str(requests),
            str(threads),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("RESULT "))
    return {k: int(v) for k, v in (pair.split("=") for pair in line.split()[1:])}


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
    database = fresh_database()
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
                drive(port, requests, 2, args.connections)  # warm up
                if name == "tandem":
                    _clear(database)
                results[name] = drive(port, requests, args.seconds, args.connections)
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
