"""`python -m bot --demo [--seed]`: Tandem with a local page that plays Slack (SPEC §8).

The real app (the same handlers, storage and agenda code) talks to a stand-in Slack served
by the same process; the page at `/` shows what the app posted and sends what a person does
to the app as Slack would, signed, through `POST /slack/events`. No token, no network.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from storage.db import make_engine
from storage.migrate import migrate_or_exit

if TYPE_CHECKING:
    from bot.demo.web import Demo

DEFAULT_DATABASE = "sqlite:///demo.db"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bot --demo", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--demo", action="store_true", help="serve the demo (required)")
    parser.add_argument(
        "--seed", action="store_true", help="fill the demo database with a realistic quarter"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Only the environment, never .env: a .env beside it may name a production database.
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE
    try:
        port = int(os.environ.get("PORT") or 3000)
    except ValueError:
        print("tandem: PORT is invalid: must be a number such as 3000", file=sys.stderr)
        raise SystemExit(2) from None
    engine = make_engine(database_url)
    migrate_or_exit(engine)
    warm_up: Callable[[Demo], Awaitable[None]] | None = None
    if args.seed:
        from bot.demo import seed

        if seed.already_seeded(engine):
            print("tandem: the demo database is already seeded; delete it to seed afresh")
        else:
            seed.seed(engine)
            warm_up = seed.warm_up
    engine.dispose()

    from bot.__main__ import serve
    from bot.demo.web import create_demo

    print(f"Tandem demo: open http://localhost:{port}/  (Ctrl-C stops it)", flush=True)
    serve(
        lambda: create_demo(database_url=database_url, port=port, warm_up=warm_up),
        port=port,
        workers=1,
    )
