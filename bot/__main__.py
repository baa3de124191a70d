"""`python -m bot`: migrate, then serve Slack over HTTP (or Socket Mode)."""

from __future__ import annotations

import asyncio
import gc
import logging
import socket
import sys
from collections.abc import Callable
from functools import partial

from starlette.applications import Starlette

from bot.config import Settings, load_settings
from bot.services import Services
from core.heap import freeze_imports
from core.logs import quiet_failures
from storage.db import Database, make_engine
from storage.migrate import migrate_or_exit

log = logging.getLogger("tandem")


def main() -> None:
    if "--demo" in sys.argv[1:]:
        from bot.demo import main as demo

        demo(sys.argv[1:])
        return
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    quiet_failures()
    settings = load_settings(web=True)
    engine = make_engine(settings.database_url)
    migrate_or_exit(engine)
    engine.dispose()
    if settings.slack_app_token:
        asyncio.run(_socket_mode(settings))
        return
    workers = settings.web_workers
    log.info("serving on port %s with %s worker(s)", settings.port, workers)
    serve(partial(_tandem_web, settings), port=settings.port, workers=workers)


def _tandem_web(settings: Settings) -> Starlette:
    from bot.app import create_web

    db = Database.for_requests(settings.database_url)
    return create_web(services=Services(settings=settings, db=db))


def serve(make_web: Callable[[], Starlette], *, port: int, workers: int) -> None:
    """Serve ASGI apps from `make_web` with uvicorn: one per worker process, one shared socket.

    More than one worker runs under bot.workers, which replaces a worker that dies.
    """
    listener = _listen(port)
    if workers == 1:
        _serve(make_web, listener)
        return
    # Every module the workers use is imported here, before forking, so that each worker
    # (a replacement too) starts serving in a fraction of a second.
    import uvicorn  # noqa: F401

    from bot.app import features
    from bot.workers import Workers

    features()
    freeze_imports()
    Workers(partial(_serve, make_web, listener), count=workers).run()


def _listen(port: int) -> socket.socket:
    # IPPROTO_TCP, not 0: asyncio only sets TCP_NODELAY on sockets that say they are TCP,
    # and without it every keep-alive response waits ~40 ms for a delayed ACK.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(("0.0.0.0", port))
    except OSError as error:
        print(f"tandem: cannot listen on port {port} ({error.strerror}); set PORT", file=sys.stderr)
        raise SystemExit(1) from None
    listener.listen(2048)
    return listener


def _serve(make_web: Callable[[], Starlette], listener: socket.socket) -> None:
    """One worker: its own app (engine, writer) and event loop on the shared socket."""
    import uvicorn

    config = uvicorn.Config(make_web(), log_level="warning", access_log=False, lifespan="on")
    # Everything loaded so far lives as long as the process: keep the collector off it,
    # or each full collection walks it all and stalls every request (100+ ms measured).
    gc.collect()
    gc.freeze()
    uvicorn.Server(config).run(sockets=[listener])


async def _socket_mode(settings: Settings) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    from bot.app import create_app

    assert settings.slack_app_token is not None
    db = Database.for_requests(settings.database_url)
    app = create_app(services=Services(settings=settings, db=db))
    handler = AsyncSocketModeHandler(app, settings.slack_app_token)
    await handler.start_async()


if __name__ == "__main__":
    main()
