"""`python -m bot` and `python -m scheduler` as running processes, and load to put on them.

For the fault tests: a process whose log is read as it is written, and client threads
sending signed `/lead` ratings, each on a new connection, that record every answer.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import httpx
from sqlalchemy import Engine, text

from tests.fake_slack import FakeSlack
from tests.slack_client import SECRET, signature

ROOT = Path(__file__).resolve().parent.parent


def environment(*, database_url: str | None, slack_api: FakeSlack) -> dict[str, str]:
    """The process's environment: ours without any Tandem settings, plus the given ones."""
    names = ("SLACK_", "DATABASE_URL", "TANDEM_", "PORT")
    env = {k: v for k, v in os.environ.items() if not k.startswith(names)}
    env["PYTHONPATH"] = str(ROOT)
    env["SLACK_BOT_TOKEN"] = "xoxb-test"
    env["SLACK_API_URL"] = slack_api.url
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return env


def web_environment(
    *, database_url: str, slack_api: FakeSlack, port: int, workers: int, **more: str
) -> dict[str, str]:
    """`environment` for `python -m bot` serving on `port` with `workers` workers, its
    requests signed with SECRET; `more` settings besides."""
    env = environment(database_url=database_url, slack_api=slack_api)
    env |= {"SLACK_SIGNING_SECRET": SECRET, "PORT": str(port), "WEB_CONCURRENCY": str(workers)}
    return env | more


class Running:
    """A process started now, its stderr collected line by line as it comes."""

    def __init__(self, args: list[str], *, env: dict[str, str], cwd: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    @property
    def log(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, words: str, *, timeout: float, after: int = 0) -> str:
        """The first line from number `after` on that contains `words`, waiting for it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines[after:]:
                if words in line:
                    return line
            assert self.process.poll() is None, self.log
            time.sleep(0.02)
        raise AssertionError(f"no “{words}” within {timeout} s:\n{self.log}")

    def stop(self, *, timeout: float = 30) -> int:
        """SIGTERM, then its exit code once it has stopped."""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"still running {timeout} s after SIGTERM:\n{self.log}") from None
        self._reader.join(timeout=5)
        return code


def wait_healthy(base: str, server: Running, *, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert server.process.poll() is None, server.log
        time.sleep(0.1)
    raise AssertionError(f"{base} was not healthy within {timeout} s:\n{server.log}")


def post_lead(base: str, lead: str, *, timeout: float = 10) -> httpx.Response:
    """One signed `/lead <lead> 4 ok`, on a connection of its own so any worker may take it."""
    body = urlencode({"team_id": "T1", "user_id": "U1", "command": "/lead", "text": f"{lead} 4 ok"})
    stamp = int(time.time())
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": signature(secret=SECRET, timestamp=stamp, body=body),
    }
    return httpx.post(f"{base}/slack/events", content=body, headers=headers, timeout=timeout)


@dataclass(frozen=True)
class Answer:
    """What one `/lead` got: `status` None when the connection ended with no answer."""

    lead: str
    sent: float  # time.monotonic()
    took: float
    status: int | None
    text: str

    @property
    def saved(self) -> bool:
        return self.status == 200 and self.text.startswith("Saved")


@dataclass
class LeadStream:
    """`clients` threads rating new leads one after another until stopped (or `limit` each)."""

    base: str
    clients: int = 4
    limit: int = 2_000
    pause: float = 0.0
    answers: list[Answer] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def __enter__(self) -> LeadStream:
        for client in range(self.clients):
            thread = threading.Thread(target=self._send, args=(client,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def _send(self, client: int) -> None:
        for n in range(self.limit):
            if self._stop.is_set():
                return
            lead = f"L{client}-{n}"
            sent = time.monotonic()
            try:
                response = post_lead(self.base, lead)
                status, said = response.status_code, response.text
            except httpx.TransportError as error:
                status, said = None, type(error).__name__
            self.answers.append(Answer(lead, sent, time.monotonic() - sent, status, said))
            if self.pause:
                time.sleep(self.pause)


def stored_leads(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.execute(text("SELECT lead_ref FROM lead_rating")).scalars())


def children(pid: int) -> set[int]:
    """The processes `pid` started that are still running (Linux)."""
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return {int(child) for child in found}
