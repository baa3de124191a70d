"""`/tandem export`: every kind of record as a CSV file, sent to the asker by direct message.

The rows stream from the database into temporary files (storage.export), a batch at a time,
so memory does not grow with the workspace's history; the files go to Slack from disk.
Runs after the command is answered: a large workspace takes longer than Slack's 3 seconds.
"""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from logging import Logger
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from handlers.tandem import views
from storage.export import KINDS, Kind, export_rows


def write_csv(
    path: Path,
    *,
    engine: Engine,
    kind: Kind,
    team_id: str,
    since: datetime | None,
) -> int:
    """Write the workspace's rows of `kind` to `path` with a header row; how many rows."""
    count = 0
    # utf-8-sig: the byte-order mark makes Excel read the file as UTF-8, as it should.
    with path.open("w", newline="", encoding="utf-8-sig") as out, Session(engine) as session:
        writer = csv.writer(out)
        writer.writerow(kind.columns)
        for batch in export_rows(session=session, kind=kind, team_id=team_id, since=since):
            writer.writerows(batch)  # each value already as the file shows it
            count += len(batch)
    return count


@dataclass(frozen=True)
class Written:
    kind: Kind
    path: Path
    rows: int


def write_all(
    folder: Path, *, engine: Engine, team_id: str, since: datetime | None, day: str
) -> list[Written]:
    """One file per kind in `folder`, named `tandem-<kind>-<day>.csv`."""
    written = []
    for kind in KINDS:
        path = folder / f"tandem-{kind.name.replace('_', '-')}-{day}.csv"
        rows = write_csv(path, engine=engine, kind=kind, team_id=team_id, since=since)
        written.append(Written(kind, path, rows))
    return written


async def send_export(
    *,
    engine: Engine,
    client: AsyncWebClient,
    logger: Logger,
    team_id: str,
    user_id: str,
    days: int | None,
    since: datetime | None,
    now: datetime,
) -> None:
    """Make the files and send them to `user_id` by direct message; if that fails, say so
    there (and in the log)."""
    try:
        with TemporaryDirectory(prefix="tandem-export-") as folder:
            written = await asyncio.to_thread(
                write_all,
                Path(folder),
                engine=engine,
                team_id=team_id,
                since=since,
                day=f"{now:%Y-%m-%d}",
            )
            opened = await client.conversations_open(users=user_id)
            await client.files_upload_v2(
                channel=opened["channel"]["id"],
                initial_comment=views.export_note(
                    [(w.kind.title, w.rows) for w in written], days=days, now=now
                ),
                file_uploads=_uploads(written),
            )
    except (SQLAlchemyError, SlackClientError, OSError):
        logger.exception("could not send an export")
        try:
            await client.chat_postMessage(channel=user_id, text=views.EXPORT_FAILED)
        except SlackClientError:
            logger.exception("could not say that an export failed")


def _uploads(written: Sequence[Written]) -> list[dict[str, Any]]:
    return [{"file": str(w.path), "filename": w.path.name, "title": w.path.name} for w in written]
