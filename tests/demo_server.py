"""The demo (`python -m bot --demo --seed`) served from a thread, for the tests that use it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from bot.demo import seed
from bot.demo.web import create_demo
from storage.db import make_engine, migrate


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def demo_server(folder: Path, *, seeded: bool = True) -> Iterator[str]:
    """The demo's address, on a new SQLite database in `folder`, seeded and warmed up."""
    url = f"sqlite:///{folder / 'demo.db'}"
    engine = make_engine(url)
    migrate(engine)
    if seeded:
        seed.seed(engine)
    engine.dispose()
    port = free_port()
    web = create_demo(database_url=url, port=port, warm_up=seed.warm_up if seeded else None)
    server = uvicorn.Server(
        uvicorn.Config(web, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}/"
    try:
        ready(base)
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def ready(base: str, *, within: float = 60.0) -> None:
    """Wait until the demo has started and posted its first messages."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}demo/state", timeout=5).json().get("ready"):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError("the demo did not start")


def state(base: str, user: str) -> dict[str, Any]:
    answer: dict[str, Any] = httpx.get(f"{base}demo/state", params={"user": user}).json()
    return answer


def act(base: str, what: str, user: str, **body: Any) -> dict[str, Any]:
    """Do on the page's behalf what its buttons and forms do: POST /demo/<what>."""
    response = httpx.post(f"{base}demo/{what}", json={"user": user, **body}, timeout=60)
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer
