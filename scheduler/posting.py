"""Posting into one channel at Slack's pace, never repeating a post Slack may have taken.

Slack's API takes no idempotency key. Every message carries its delivery's key and part
(0: the top-level message, N: thread reply N) in its metadata; when a post's fate is
unknown (the connection dropped after the request went out, a timeout, a 5xx) or a retry
resumes a delivery (its next part may be in Slack without its row saying so), the part is
first looked for, with conversations.history or conversations.replies, and used if found.
Files shared into a thread carry no metadata: they are looked for by name in the thread.

Looking needs the `channels:history` / `groups:history` scopes and the bot in the channel;
where Slack refuses the look, the part is posted again, may show twice, and that is logged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import never_sent

logger = logging.getLogger(__name__)

METADATA_TYPE = "tandem_reminder"
HISTORY_PAGE = 100


@dataclass
class Step:
    """Where a delivery's posts are: its key, since when, and whether to look first."""

    key: str
    since: datetime
    look: bool  # the next part may be in Slack already; after one look, parts are new


def unknown(error: Exception) -> bool:
    """Whether a failed post may still have been made: nothing Slack said proves otherwise."""
    if isinstance(error, SlackApiError):
        return bool(error.response.status_code >= 500)
    return isinstance(error, aiohttp.ClientError | OSError) and not never_sent(error)


class Poster:
    """Posts into one channel, `pace` seconds apart; a post is looked for before it is repeated."""

    def __init__(self, client: AsyncWebClient, channel: str, pace: float) -> None:
        self.client = client
        self.channel = channel
        self.pace = pace
        self._next = 0.0

    async def post(self, step: Step, part: int, **message: Any) -> str:
        """Post part `part` (0: the top-level message, N: reply N) unless it is there; its ts."""
        if step.look:
            step.look = False
            found = await self._find(step, part, message.get("thread_ts"))
            if found is not None:
                return found
        metadata = {"event_type": METADATA_TYPE, "event_payload": {"key": step.key, "part": part}}
        try:
            return await self._send(metadata, message)
        except Exception as error:
            if not unknown(error):
                raise
            logger.warning(
                "Slack may have taken part %d of %s in %s (%s); looking for it",
                part,
                step.key,
                self.channel,
                describe(error),
            )
        found = await self._find(step, part, message.get("thread_ts"))
        return found if found is not None else await self._send(metadata, message)

    async def _send(self, metadata: dict[str, Any], message: dict[str, Any]) -> str:
        await self._turn()
        try:
            response = await self.client.chat_postMessage(
                channel=self.channel,
                metadata=metadata,
                unfurl_links=False,
                unfurl_media=False,
                **message,
            )
        finally:
            self._next = time.monotonic() + self.pace
        return str(response["ts"])

    async def _turn(self) -> None:
        wait = self._next - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    async def _find(self, step: Step, part: int, thread_ts: str | None) -> str | None:
        """The ts of the part if Slack has it; None if not, or if Slack will not say."""
        try:
            for message in await self._messages(step, thread_ts):
                payload = (message.get("metadata") or {}).get("event_payload") or {}
                if payload.get("key") == step.key and payload.get("part") == part:
                    logger.info("found part %d of %s already in %s", part, step.key, self.channel)
                    return str(message["ts"])
        except SlackApiError as error:
            logger.warning(
                "cannot look for part %d of %s in %s (%s): posting it, which may repeat it",
                part,
                step.key,
                self.channel,
                describe(error),
            )
        return None

    async def _messages(self, step: Step, thread_ts: str | None) -> list[dict[str, Any]]:
        if thread_ts is None:
            answer = await self.client.conversations_history(
                channel=self.channel,
                oldest=f"{step.since.timestamp():.6f}",
                include_all_metadata=True,
                limit=HISTORY_PAGE,
            )
        else:
            answer = await self.client.conversations_replies(
                channel=self.channel, ts=thread_ts, include_all_metadata=True, limit=HISTORY_PAGE
            )
        return list(answer.get("messages") or [])

    async def upload(self, step: Step, uploads: list[dict[str, Any]], *, thread_ts: str) -> None:
        """Share the files into the thread, unless a share of them is there already."""
        names = {upload["filename"] for upload in uploads}
        if step.look and await self._shared(step, names, thread_ts):
            return
        await self._turn()
        try:
            await self.client.files_upload_v2(
                channel=self.channel, thread_ts=thread_ts, file_uploads=uploads
            )
            return
        except Exception as error:
            if not unknown(error):
                raise
            logger.warning("Slack may have shared the files of %s: looking", step.key)
        finally:
            self._next = time.monotonic() + self.pace
        if await self._shared(step, names, thread_ts):
            return
        await self._turn()
        await self.client.files_upload_v2(
            channel=self.channel, thread_ts=thread_ts, file_uploads=uploads
        )

    async def _shared(self, step: Step, names: set[str], thread_ts: str) -> bool:
        try:
            messages = await self._messages(step, thread_ts)
        except SlackApiError as error:
            logger.warning("cannot look for the files of %s: %s", step.key, describe(error))
            return False
        seen = {f.get("name") for m in messages for f in m.get("files") or []}
        return names <= seen


def describe(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        return f"Slack answered {error.response.status_code}: {error.response.get('error')}"
    return (str(error).splitlines() or [type(error).__name__])[0]
