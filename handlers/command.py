"""The one way every slash command is dispatched.

No text opens the command's form, `help` shows its usage, a known first word picks
a verb, and anything else goes to the command's default (or is refused, showing the
usage). A feature says only what each of those does.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from logging import Logger
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from core.text import TextError, first_word
from handlers.common import (
    CommandReply,
    InputError,
    Saving,
    save_and_confirm,
    team_of,
    usage_reply,
)
from handlers.forms import View, open_form


@dataclass(frozen=True)
class Asked:
    """One slash command, as a verb sees it: `text` is what follows the verb."""

    ack: AsyncAck
    payload: dict[str, Any]
    context: AsyncBoltContext
    client: AsyncWebClient
    logger: Logger
    text: str

    @property
    def team_id(self) -> str:
        return team_of(self.context)

    @property
    def user_id(self) -> str:
        return str(self.payload["user_id"])

    @property
    def channel_id(self) -> str:
        return str(self.payload.get("channel_id") or "")

    @property
    def trigger_id(self) -> str:
        return str(self.payload.get("trigger_id") or "")


Verb = Callable[[Asked], Awaitable[None]]
T = TypeVar("T")


def saving(
    spec: Saving, check: Callable[[str], T], save: Callable[[Asked, T], Awaitable[str]]
) -> Verb:
    """A verb that checks its text, stores it as the asker and answers: what was wrong (with
    the usage), an apology if the database failed, or the receipt `save` returns."""

    async def verb(asked: Asked) -> None:
        await save_and_confirm(
            CommandReply(asked.ack, usage=spec.usage),
            asked.logger,
            failure=spec.failure,
            check=lambda: check(asked.text),
            save=lambda value: save(asked, value),
        )

    return verb


def querying(
    parse: Callable[[str], T], usage: str, answer: Callable[[Asked, T], Awaitable[None]]
) -> Verb:
    """A verb that reads a query from its text (or shows what was wrong, with `usage`) and
    answers it."""

    async def verb(asked: Asked) -> None:
        try:
            query = parse(asked.text)
        except (TextError, InputError) as error:
            await asked.ack(text=usage_reply(str(error), usage))
            return
        await answer(asked, query)

    return verb


def opening(build: Callable[[Asked], View]) -> Verb:
    """A verb that answers with nothing and opens the form `build` makes for the asker."""

    async def verb(asked: Asked) -> None:
        await open_form(asked.ack, asked.client, trigger_id=asked.trigger_id, view=build(asked))

    return verb


Dispatch = Callable[
    [AsyncAck, dict[str, Any], AsyncBoltContext, AsyncWebClient, Logger], Awaitable[None]
]
# Every app's commands, by name. Bolt tries listeners one by one, in the order they were
NUL_REFUSED = "Tandem cannot read the NUL character (\\0) in what you typed; type it without."
# registered, and matching each costs time on every request: one listener for all of an
# app's commands makes any command match at the first try.
_COMMANDS: weakref.WeakKeyDictionary[AsyncApp, dict[str, Dispatch]] = weakref.WeakKeyDictionary()


def command(
    app: AsyncApp,
    name: str,
    usage: str,
    form: Verb,
    verbs: Mapping[str, Verb],
    otherwise: Verb | None = None,
) -> None:
    """Listen for the slash command `name` and dispatch each use of it.

    `form` answers the command typed alone; `verbs` by first word; `otherwise` gets the
    whole text when no verb matches (without it, the person is shown the usage).
    """

    async def dispatch(
        ack: AsyncAck,
        command: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        logger: Logger,
    ) -> None:
        text = command.get("text", "").strip()
        verb, rest = first_word(text)

        def asked(words: str) -> Asked:
            return Asked(ack, command, context, client, logger, words)

        if "\x00" in text:  # no database keeps it, and no one means to type it
            await ack(text=usage_reply(NUL_REFUSED, usage))
        elif not text:
            await form(asked(""))
        elif verb == "help":
            await ack(text=usage)
        elif verb in verbs:
            await verbs[verb](asked(rest))
        elif otherwise is not None:
            await otherwise(asked(text))
        else:
            await ack(text=usage_reply(f"`{name} {verb}` means nothing to Tandem.", usage))

    listen_for_commands(app)[name] = dispatch


def listen_for_commands(app: AsyncApp) -> dict[str, Dispatch]:
    """The app's table of commands, made with the one listener for them all if it has none;
    called before any other listener is registered, so a command is matched first."""
    if app not in _COMMANDS:
        _COMMANDS[app] = {}
        app.command(re.compile(r"^/"))(_commands_of(_COMMANDS[app]))
    return _COMMANDS[app]


def _commands_of(table: Mapping[str, Dispatch]) -> Dispatch:

    async def listener(
        ack: AsyncAck,
        command: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        logger: Logger,
    ) -> None:
        dispatch = table.get(str(command.get("command", "")))
        if dispatch is None:  # a command of the manifest this build does not know
            await ack(text="Tandem does not know that command.")
            return
        await dispatch(ack, command, context, client, logger)

    return listener
