"""What the benchmarks share: a fresh PostgreSQL database, a server started and waited for,
and wrk driven with a Lua script that prints one `RESULT key=value …` line."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage.db import normalize_url  # noqa: E402

ADMIN_URL = os.environ.get("TANDEM_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1/test")
WRK_THREADS = 2


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fresh_database(name: str) -> str:
    """An empty database `name` on the benchmark's PostgreSQL server; its URL."""
    admin = create_engine(normalize_url(ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    admin.dispose()
    return url


def serve(command: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """Start `command` and wait until it answers /healthz on `port`."""
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    for _ in range(300):
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{command} did not start")


def drive(port: int, script: str, requests: Path, seconds: int, connections: int) -> dict[str, int]:
    """Run wrk with `bench/<script>` replaying `requests`; the figures its RESULT line gives."""
    done = subprocess.run(
        [
            "wrk",
            f"-t{WRK_THREADS}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "5s",
            "-s",
            str(ROOT / "bench" / script),
            f"http://127.0.0.1:{port}",
            "--",
            str(requests),
            str(WRK_THREADS),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("RESULT "))
    return {k: int(v) for k, v in (pair.split("=") for pair in line.split()[1:])}
