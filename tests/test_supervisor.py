"""Web workers under supervision: `python -m bot` with two workers, killed under load."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.workers import MAX_DELAY, Backoff
from tests.fake_slack import FakeSlack
from tests.running import (
    LeadStream,
    Running,
    children,
    post_lead,
    stored_leads,
    wait_healthy,
    web_environment,
)
from tests.test_processes import free_port


def test_backoff_grows_only_while_workers_die_young() -> None:
    """The first death is replaced at once; young deaths in a row wait 1, 2, 4 … up to a cap."""
    backoff = Backoff()
    waits = [backoff.after_death(lived=0.5) for _ in range(9)]
    assert waits == [0, 1, 2, 4, 8, 16, MAX_DELAY, MAX_DELAY, MAX_DELAY]
    assert backoff.after_death(lived=60) == 0  # a worker that ran steadily resets it
    assert backoff.after_death(lived=0.5) == 1


def new_child(parent: int, known: set[int], *, within: float) -> tuple[int, float]:
    """The pid of a worker `parent` started besides `known`, and how long that took."""
    start = time.monotonic()
    while time.monotonic() - start < within:
        fresh = children(parent) - known
        if fresh:
            return fresh.pop(), time.monotonic() - start
        time.sleep(0.01)
    raise AssertionError(f"no new worker within {within} s")


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_killed_worker_is_replaced_and_nothing_confirmed_is_lost(
    database_url: str, engine: Engine, slack_api: FakeSlack, tmp_path: Path
) -> None:
    """kill -9 of a worker under a stream of ratings: the other answers, a new one serves
    within 2 s, every confirmed rating is stored; repeated deaths back off; SIGTERM stops all."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = web_environment(database_url=database_url, slack_api=slack_api, port=port, workers=2)
    server = Running(["-m", "bot"], env=env, cwd=tmp_path)
    try:
        wait_healthy(base, server)
        parent = server.process.pid
        first = children(parent)
        assert len(first) == 2
        victim, survivor = sorted(first)
        with LeadStream(base, clients=4) as stream:
            time.sleep(1.0)
            mark = len(server.lines)
            killed_at = time.monotonic()
            os.kill(victim, signal.SIGKILL)
            replacement, _ = new_child(parent, first, within=2)
            time.sleep(0.5)
            # Then the replacement answers on its own, with its sibling paused.
            paused_at = time.monotonic()
            os.kill(survivor, signal.SIGSTOP)
            try:
                alone = post_lead(base, "ALONE-1", timeout=3)
                served_in = time.monotonic() - killed_at
            finally:
                os.kill(survivor, signal.SIGCONT)
            server.wait_for(f"web worker {victim} was killed by SIGKILL", timeout=2, after=mark)
            time.sleep(0.5)
        assert alone.text.startswith("Saved") and served_in < 2, served_in
        answers = stream.answers
        # Service went on through the kill: ratings were saved before the replacement served.
        assert [a for a in answers if killed_at < a.sent + a.took < paused_at and a.saved]
        # Only requests the killed worker held went unanswered; none got an error or apology.
        dropped = [a for a in answers if a.status is None]
        assert len(dropped) <= stream.clients and all(a.sent < killed_at for a in dropped)
        assert all(a.saved for a in answers if a.status is not None), answers
        confirmed = {a.lead for a in answers if a.saved}
        assert len(confirmed) > 5
        assert confirmed <= stored_leads(engine)

        # Workers that keep dying young are replaced ever more slowly, and the log says so.
        known = first | {replacement}
        for wait in (1, 2):
            mark = len(server.lines)
            os.kill(replacement, signal.SIGKILL)
            said = server.wait_for(f"web worker {replacement} was killed", timeout=2, after=mark)
            assert "keep dying soon after they start" in said and f"waiting {wait} s" in said
            replacement, took = new_child(parent, known, within=wait + 2)
            assert took >= wait - 0.2
            known.add(replacement)
        workers = children(parent)
        assert len(workers) == 2
    finally:
        code = server.stop()
    assert code == 0, server.log
    assert "stopping 2 web worker(s) on SIGTERM" in server.log
    assert "Traceback" not in server.log
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_workers_go_with_a_killed_supervisor(
    database_url: str, slack_api: FakeSlack, tmp_path: Path
) -> None:
    """kill -9 of the supervisor takes its workers with it: the port is free for a new start."""
    port = free_port()
    env = web_environment(database_url=database_url, slack_api=slack_api, port=port, workers=2)
    server = Running(["-m", "bot"], env=env, cwd=tmp_path)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", server)
        workers = children(server.process.pid)
        assert len(workers) == 2
    finally:
        server.process.kill()
        server.process.wait(timeout=10)
    deadline = time.monotonic() + 20
    while left := [pid for pid in workers if Path(f"/proc/{pid}").exists()]:
        if time.monotonic() > deadline:
            for pid in left:
                os.kill(pid, signal.SIGKILL)
            raise AssertionError("workers outlived their supervisor")
        time.sleep(0.05)
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
