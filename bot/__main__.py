"""`python -m bot`: migrate, then serve Slack over HTTP (or Socket Mode)."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import socket

from bot.config import Settings, load_settings
from storage.db import Database, make_engine
from storage.migrate import migrate_or_exit

log = logging.getLogger("tandem")


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = load_settings(web=True)
    engine = make_engine(settings.database_url)
    migrate_or_exit(engine)
    engine.dispose()
    if settings.slack_app_token:
        asyncio.run(_socket_mode(settings))
        return
    listener = _listen(settings.port)
    log.info("serving on port %s with %s worker(s)", settings.port, settings.web_concurrency)
    if settings.web_concurrency == 1:
        _serve(settings, listener)
    else:
        _supervise(settings, listener)


def _listen(port: int) -> socket.socket:
    # IPPROTO_TCP, not 0: asyncio only sets TCP_NODELAY on sockets that say they are TCP,
    # and without it every keep-alive response waits ~40 ms for a delayed ACK.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", port))
    listener.listen(2048)
    listener.set_inheritable(True)
    return listener


def _serve(settings: Settings, listener: socket.socket) -> None:
    """One worker: its own engine, writer and event loop on the shared listening socket."""
    import uvicorn

    from bot.app import create_app, create_web

    db = Database(make_engine(settings.database_url))
    web = create_web(app=create_app(settings=settings, db=db), db=db)
    config = uvicorn.Config(web, log_level="warning", access_log=False, lifespan="on")
    uvicorn.Server(config).run(sockets=[listener])


def _supervise(settings: Settings, listener: socket.socket) -> None:
    """Fork the workers, pass SIGTERM/SIGINT on to them, and wait for them all."""
    context = multiprocessing.get_context("fork")
    workers = [
        context.Process(target=_serve, args=(settings, listener), daemon=False)
        for _ in range(settings.web_concurrency)
    ]
    for worker in workers:
        worker.start()

    def stop(signum: int, _frame: object) -> None:
        for worker in workers:
            if worker.pid is not None:
                os.kill(worker.pid, signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for worker in workers:
        worker.join()


async def _socket_mode(settings: Settings) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    from bot.app import create_app

    assert settings.slack_app_token is not None
    db = Database(make_engine(settings.database_url))
    handler = AsyncSocketModeHandler(create_app(settings=settings, db=db), settings.slack_app_token)
    await handler.start_async()


if __name__ == "__main__":
    main()
