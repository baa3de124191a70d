"""`/glossary`: one vocabulary for sales and marketing."""

from __future__ import annotations

from dataclasses import dataclass
from logging import Logger
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.services import Services
from core.text import escape, first_word, unescape
from handlers import glossary_views as views
from handlers.common import CommandReply, InputError, check_lengths, save_and_confirm, team_of
from handlers.forms import on_submission, open_form
from storage.glossary import define_term, find_term, list_terms

USAGE = (
    "*Look up:* `/glossary MQL` · *Define or change:* "
    "`/glossary set MQL = Marketing Qualified Lead: a lead that …` · *All terms:* `/glossary list`"
    " · *Form:* `/glossary` on its own"
)
_LIMITS = {"term": 100, "definition": 2500}


class GlossaryError(InputError):
    """A definition that cannot be stored."""


@dataclass(frozen=True)
class Definition:
    term: str
    definition: str


def build_definition(*, term: str, definition: str) -> Definition:
    """Check a definition however it was entered, command or form."""
    term, definition = term.strip().strip('"“”').strip(), definition.strip()
    if not term:
        raise GlossaryError("Which term is being defined?", field="term")
    if not definition:
        raise GlossaryError("What does the term mean? Give its definition.", field="definition")
    check_lengths(GlossaryError, _LIMITS, {"term": term, "definition": definition})
    return Definition(term=term, definition=definition)


def parse_definition(text: str) -> Definition:
    """`TERM = definition` (after `set`)."""
    term, sep, definition = unescape(text).partition("=")
    if not sep:
        raise GlossaryError("Give the term, an equals sign, then its definition.", field="term")
    return build_definition(term=term, definition=definition)


def register(app: AsyncApp, services: Services) -> None:
    db = services.db

    async def define(context: AsyncBoltContext, user_id: str, entry: Definition) -> str:
        """Store the definition; the receipt for it."""
        existed = await db.write(
            define_term,
            team_id=team_of(context),
            user_id=user_id,
            term=entry.term,
            definition=entry.definition,
            now=services.now(),
        )
        done = "Changed" if existed else "Defined"
        return f"{done} *{escape(entry.term)}*: {escape(entry.definition)}"

    @app.command("/glossary")
    async def glossary_command(
        ack: AsyncAck,
        command: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        logger: Logger,
    ) -> None:
        text = command.get("text", "").strip()
        verb, rest = first_word(text)
        team_id = team_of(context)
        if not text:
            form = views.definition_form(channel_id=command.get("channel_id", ""))
            await open_form(ack, client, trigger_id=command["trigger_id"], view=form)
        elif verb == "help":
            await ack(text=USAGE)
        elif verb == "set":
            await save_and_confirm(
                CommandReply(ack, usage=USAGE),
                logger,
                failure="could not store a glossary term",
                check=lambda: parse_definition(rest),
                save=lambda entry: define(context, command["user_id"], entry),
            )
        elif verb == "list":
            terms = await db.read(list_terms, team_id=team_id)
            await ack(text=f"{len(terms)} glossary terms", blocks=views.term_list(terms))
        else:
            term = unescape(text).strip().strip('"“”').strip()
            found = await db.read(find_term, team_id=team_id, term=term)
            if found is None:
                await ack(
                    text=f"*{escape(term)}* is not in the glossary yet. Define it with "
                    f"`/glossary set {escape(term)} = …`"
                )
                return
            await ack(text=f"*{escape(found.term)}*: {escape(found.definition)}")

    on_submission(
        app,
        views.FORM_ID,
        title=views.TITLE,
        sorry_field="definition",
        failure="could not store a glossary term from the form",
        check=lambda view: build_definition(**views.read_form(view)),
        save=define,
    )
