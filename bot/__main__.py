"""`python -m bot`: migrate, then serve Slack over HTTP (or Socket Mode)."""

from __future__ import annotations

import asyncio
import logging
import sys

from bot.config import Settings, load_settings
from storage.db import Database, make_engine, migrate


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = load_settings(web=True)
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
    except Exception as error:
        print(
            f"tandem: cannot bring the database up to date: {error}".splitlines()[0],
            file=sys.stderr,
        )
        raise SystemExit(1) from None
    db = Database(engine)
    if settings.slack_app_token:
        asyncio.run(_socket_mode(settings, db))
    else:
        _serve_http(settings, db)


def _serve_http(settings: Settings, db: Database) -> None:
    import uvicorn

    from bot.app import create_app, create_web

    web = create_web(app=create_app(settings=settings, db=db), db=db)
    uvicorn.run(
        web,
        host="0.0.0.0",
        port=settings.port,
        log_level="warning",
        access_log=False,
        lifespan="on",
    )


async def _socket_mode(settings: Settings, db: Database) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    from bot.app import create_app

    assert settings.slack_app_token is not None
    handler = AsyncSocketModeHandler(create_app(settings=settings, db=db), settings.slack_app_token)
    await handler.start_async()


if __name__ == "__main__":
    main()
