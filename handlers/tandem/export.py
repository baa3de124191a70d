"""`/tandem export`: every kind of record as a CSV file, sent to the asker by direct message.

The rows stream from the database into temporary files (storage.export), a batch at a time,
so memory does not grow with the workspace's history; the files go to Slack from disk.
Runs after the command is answered: a large workspace takes longer than Slack's 3 seconds.
"""

from __future__ import annotations

import asyncio
import codecs
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from logging import Logger
from pathlib import Path
from tempfile import TemporaryDirectory

import aiohttp
from slack_sdk.errors import SlackClientError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from handlers.tandem import views
from storage.export import KINDS, Kind, write_csv

# An upload may take a while on a slow link, but not forever.
UPLOAD_TIMEOUT = aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=120)


def write_file(
    path: Path, *, engine: Engine, kind: Kind, team_id: str, since: datetime | None
) -> int:
    """Write the workspace's rows of `kind` to `path` after a header row; how many rows."""
    with path.open("wb") as out, Session(engine) as session:
        # The byte-order mark makes Excel read the file as UTF-8, as it is.
        out.write(codecs.BOM_UTF8 + (",".join(kind.columns) + "\n").encode())
        return write_csv(session=session, kind=kind, team_id=team_id, since=since, out=out)


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
        rows = write_file(path, engine=engine, kind=kind, team_id=team_id, since=since)
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
            note = views.export_note([(w.kind.title, w.rows) for w in written], days=days, now=now)
            await upload(
                client,
                channel=opened["channel"]["id"],
                paths=[w.path for w in written],
                comment=note,
            )
    except (SQLAlchemyError, SlackClientError, OSError, aiohttp.ClientError):
        logger.exception("could not send an export")
        try:
            await client.chat_postMessage(channel=user_id, text=views.EXPORT_FAILED)
        except SlackClientError:
            logger.exception("could not say that an export failed")


async def upload(
    client: AsyncWebClient, *, channel: str, paths: Sequence[Path], comment: str
) -> None:
    """Share the files in `channel`, in one message, streaming each from disk.

    The same three steps as `files_upload_v2`, which reads every file into memory first.
    """
    shared = []
    async with aiohttp.ClientSession(timeout=UPLOAD_TIMEOUT) as http:
        for path in paths:
            target = await client.files_getUploadURLExternal(
                filename=path.name, length=path.stat().st_size
            )
            with path.open("rb") as body:
                async with http.post(str(target["upload_url"]), data=body) as answer:
                    if answer.status != 200:
                        raise SlackRequestError(f"uploading {path.name} answered {answer.status}")
            shared.append({"id": target["file_id"], "title": path.name})
    await client.files_completeUploadExternal(
        files=shared, channel_id=channel, initial_comment=comment
    )
