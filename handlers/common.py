"""What every feature's listeners share: workspace scope, refusals, answers in time.

And the one way a command or a form answers once it has checked and stored its input.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from logging import Logger
from typing import Any, Protocol, TypeVar

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import SQLAlchemyError

from core.text import escape
from core.wording import SORRY_STORAGE
from storage import limits

T = TypeVar("T")


def team_of(context: Mapping[str, Any]) -> str:
    """The workspace a request belongs to; every row Tandem keeps is scoped by it."""
    team = context.get("team_id") or context.get("enterprise_id")
    if not team:
        raise ValueError("a Slack request without a workspace")
    return str(team)


def usage_reply(problem: str, usage: str) -> str:
    """What went wrong (plain text, often quoting the input: escaped here), then the right form."""
    return f"{escape(problem)}\n{usage}"


class Actor(Protocol):
    """Whoever acts, by a command or a form: who, in which workspace and channel, and how
    to reach Slack on their behalf."""

    @property
    def team_id(self) -> str: ...
    @property
    def user_id(self) -> str: ...
    @property
    def channel_id(self) -> str: ...
    @property
    def client(self) -> AsyncWebClient: ...
    @property
    def logger(self) -> Logger: ...


@dataclass(frozen=True)
class Interaction:
    """Someone acting through Slack's interactivity (a click, a submitted form): its payload,
    and how to reach Slack on their behalf."""

    body: dict[str, Any]
    context: AsyncBoltContext
    client: AsyncWebClient
    logger: Logger

    @property
    def team_id(self) -> str:
        return team_of(self.context)

    @property
    def user_id(self) -> str:
        return str(self.body["user"]["id"])


class InputError(ValueError):
    """Input that cannot be stored; `field` names the part that is wrong (a form's block id)."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


def check_lengths(
    error: type[InputError], limits: Mapping[str, int], texts: Mapping[str, str | None]
) -> None:
    """Refuse the first text longer than its limit, naming it as the field that is wrong."""
    for name, text in texts.items():
        if text and len(text) > limits[name]:
            raise error(
                f"The {name} is too long ({limits[name]:,} characters at most).", field=name
            )


SEARCH_TEXT = limits.SEARCH_WORDS * (limits.SEARCH_WORD + 3)  # the words, quotes and spaces


def search_words(
    error: type[InputError], text: str, split: Callable[[str], list[str]], *, field: str
) -> list[str]:
    """`split(text)`, refused if the text or its words are more than one search looks for.

    The text's length is checked first, so a page of words costs nothing to refuse.
    """
    if len(text) > SEARCH_TEXT:
        raise error(
            f"That is too long to search for ({SEARCH_TEXT:,} characters at most).", field=field
        )
    words = split(text)
    if len(words) > limits.SEARCH_WORDS:
        raise error(
            f"That is {len(words):,} words: search for at most {limits.SEARCH_WORDS}.", field=field
        )
    if any(len(word) > limits.SEARCH_WORD for word in words):
        raise error(
            f"A word to search for can be {limits.SEARCH_WORD} characters at most.", field=field
        )
    return words


def text_or_none(text: str | None) -> str | None:
    """The text without surrounding blanks; None when nothing is left."""
    return (text or "").strip() or None


@dataclass(frozen=True)
class Saving:
    """How a feature answers when it stores what someone typed or filled in."""

    usage: str  # shown with what was wrong in a command
    title: str  # of the form's receipt
    sorry_field: str  # the form field beside which an apology is shown
    what: str  # what is stored, for the log: "a lead rating"
    tick: bool = True  # whether the form's receipt starts with a check mark

    @property
    def failure(self) -> str:
        """Logged, with the traceback, when the database fails."""
        return f"could not store {self.what}"


class Reply(Protocol):
    """How a listener answers whoever asked: in a command's ack, or in the submitted form."""

    async def refuse(self, error: InputError) -> None: ...

    async def sorry(self) -> None: ...

    async def done(self, message: str) -> None: ...


@dataclass(frozen=True)
class CommandReply:
    """Answers a slash command, seen only by the person who typed it."""

    ack: AsyncAck
    usage: str

    async def refuse(self, error: InputError) -> None:
        await self.ack(text=usage_reply(str(error), self.usage))

    async def sorry(self) -> None:
        await self.ack(text=SORRY_STORAGE)

    async def done(self, message: str) -> None:
        await self.ack(text=message)


async def save_and_confirm(
    reply: Reply,
    logger: Logger,
    *,
    failure: str,
    check: Callable[[], T],
    save: Callable[[T], Awaitable[str]],
) -> None:
    """Check the input, store it, then answer: what was wrong, an apology, or the receipt.

    `save` stores and returns the receipt, so the receipt is only sent once the write committed;
    `failure` is logged, with the traceback, when the database fails.
    """
    try:
        message = await save(check())
    except InputError as error:
        await reply.refuse(error)
    except SQLAlchemyError:
        logger.exception(failure)
        await reply.sorry()
    else:
        await reply.done(message)


# Slack gives a command 3 seconds; a Slack call made before answering (a channel post
# waiting out a 429, say) gets this much of them, then finishes in the background.
SLACK_CALL_BUDGET = 2.0
_BACKGROUND: set[asyncio.Task[Any]] = set()
_log = logging.getLogger("tandem")


def _settled(task: asyncio.Task[Any]) -> None:
    _BACKGROUND.discard(task)
    if not task.cancelled() and task.exception() is not None:
        _log.error("a Slack call that outlived its request failed", exc_info=task.exception())


async def in_time(call: Awaitable[T], *, seconds: float = SLACK_CALL_BUDGET) -> T | None:
    """The call's result if it is done within `seconds`; else None while it goes on.

    A call that finishes in time and fails raises here as usual.
    """
    task = asyncio.ensure_future(call)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if task in done:
        return task.result()
    _BACKGROUND.add(task)
    task.add_done_callback(_settled)
    return None


def in_background(call: Awaitable[Any]) -> None:
    """Go on with `call` after the request is answered; a failure is logged."""
    task = asyncio.ensure_future(call)
    _BACKGROUND.add(task)
    task.add_done_callback(_settled)


def in_a_dm(channel_id: str) -> bool:
    """Whether a command came from no channel, or from a direct message."""
    return not channel_id or channel_id.startswith("D")


async def post_note(client: AsyncWebClient, logger: Logger, channel: str, note: str) -> str | None:
    """Post a one-line note in a channel; Slack's error code if it refused, else None.

    A slow post (Slack rate-limiting the channel) finishes after the answer.
    """
    try:
        await in_time(client.chat_postMessage(channel=channel, text=note))
    except SlackApiError as error:
        logger.warning("could not post a note in %s: %s", channel, error)
        return str(error.response.get("error"))
    return None
