"""`python -m bot` as an operator runs it: configuration, migrations, health."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text

from bot.app import create_web
from bot.config import Settings
from bot.services import Services
from storage.db import Database, make_engine
from tests.fake_slack import FakeSlack
from tests.slack_client import SECRET

CONFIG = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "DATABASE_URL", "PORT")


def clean_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CONFIG and not k.startswith("TANDEM_")}
    env.update(values)
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "PORT": "http"}, "PORT"),
        (
            {"SLACK_BOT_TOKEN": "x", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": "ftp://x"},
            "SLACK_API_URL",
        ),
    ],
)
def test_bad_configuration_stops_with_one_line(
    tmp_path: Path, env: dict[str, str], named: str
) -> None:
    """Bad configuration stops with one line naming the variable and no traceback."""
    done = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert named in lines[0]
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "tandem.db").exists()


def test_starts_from_an_empty_directory(tmp_path: Path) -> None:
    """From an empty directory with a `.env`, the app creates tandem.db there and is healthy."""
    port = free_port()
    (tmp_path / ".env").write_text(
        f"SLACK_BOT_TOKEN=xoxb-test\nSLACK_SIGNING_SECRET=s\nPORT={port}\n"
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=clean_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        status = None
        for _ in range(150):
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                time.sleep(0.1)
        assert status == 200
        assert (tmp_path / "tandem.db").exists()
    finally:
        server.terminate()
        server.wait(timeout=20)


async def test_health_reports_a_dead_database() -> None:
    """`/healthz` answers 503 when the database does not answer."""
    engine = make_engine("postgresql://postgres@127.0.0.1:1/nowhere")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
    )
    db = Database(engine)
    web = create_web(services=Services(settings=settings, db=db))
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://tandem.test") as http:
        response = await http.get("/healthz")
    db.writer.close()
    assert response.status_code == 503


async def test_health_is_ok_with_a_database(slack: object, database_url: str) -> None:
    """`/healthz` answers 200 on each database backend."""
    engine = make_engine(database_url)
    db = Database(engine)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        database_url=database_url,
    )
    web = create_web(services=Services(settings=settings, db=db))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=web), base_url="http://tandem.test"
    ) as http:
        assert (await http.get("/healthz")).status_code == 200
    db.close()


def test_release_migrates(tmp_path: Path) -> None:
    """The release step brings a new database up to date and says so."""
    done = subprocess.run(
        [sys.executable, "-m", "bot.migrate"],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "up to date" in done.stdout
    assert (tmp_path / "tandem.db").exists()


def test_concurrent_starts_migrate_once(tmp_path: Path, postgres_admin: Engine) -> None:
    """Three processes migrating a new PostgreSQL database at once all succeed."""
    admin = postgres_admin
    name = f"tandem_race_{os.getpid()}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        runs = [
            subprocess.Popen(
                [sys.executable, "-m", "bot.migrate"],
                cwd=tmp_path,
                env=clean_env(DATABASE_URL=url),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        for run in runs:
            _, err = run.communicate(timeout=60)
            assert run.returncode == 0, err
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_unreachable_database_stops_with_one_line(tmp_path: Path) -> None:
    """A database that does not answer at start stops the app with one line, no traceback."""
    done = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=clean_env(
            SLACK_BOT_TOKEN="xoxb-1",
            SLACK_SIGNING_SECRET="s",
            DATABASE_URL="postgresql://postgres@127.0.0.1:1/nowhere",
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot bring the database up to date" in lines[0], done.stderr


def test_socket_mode_with_an_app_token(tmp_path: Path, slack_api: FakeSlack) -> None:
    """With SLACK_APP_TOKEN set the app opens a Socket Mode connection and needs no secret."""
    server = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=clean_env(
            SLACK_BOT_TOKEN="xoxb-test", SLACK_APP_TOKEN="xapp-test", SLACK_API_URL=slack_api.url
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(150):
            if slack_api.calls and any(
                c.method == "apps.connections.open" for c in slack_api.calls
            ):
                break
            assert server.poll() is None
            time.sleep(0.1)
        opened = [c for c in slack_api.calls if c.method == "apps.connections.open"]
        assert opened and opened[0].headers.get("Authorization") == "Bearer xapp-test"
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_two_workers_serve_and_stop(tmp_path: Path, database_url: str, engine: Engine) -> None:
    """With WEB_CONCURRENCY=2 both workers answer signed requests, and SIGTERM stops them all."""
    from urllib.parse import urlencode

    from tests.slack_client import signature

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=clean_env(
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET=SECRET,
            DATABASE_URL=database_url,
            PORT=str(port),
            WEB_CONCURRENCY="2",
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(150):
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        for n in range(6):
            body = urlencode(
                {"team_id": "T1", "user_id": "U1", "command": "/lead", "text": f"W-{n} 4 ok"}
            )
            stamp = int(time.time())
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": str(stamp),
                "X-Slack-Signature": signature(secret=SECRET, timestamp=stamp, body=body),
            }
            # A new connection each time, so the kernel hands them to either worker.
            response = httpx.post(
                f"http://127.0.0.1:{port}/slack/events", content=body, headers=headers
            )
            assert response.status_code == 200 and "Saved" in response.text
    finally:
        server.terminate()
        server.wait(timeout=20)
    # Every worker is gone with the supervisor: nothing listens on the port any more.
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT count(*) FROM lead_rating")).scalar_one()
    assert stored == 6


def test_port_in_use_stops_with_one_line(tmp_path: Path) -> None:
    """A port another process holds stops the app with one line naming it, no traceback."""
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "bot"],
            cwd=tmp_path,
            env=clean_env(SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s", PORT=str(port)),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert f"cannot listen on port {port}" in done.stderr
    assert "Traceback" not in done.stderr
