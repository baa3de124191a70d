"""`/glossary`: one vocabulary for sales and marketing."""

from __future__ import annotations

from dataclasses import dataclass
from logging import Logger
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from sqlalchemy.exc import SQLAlchemyError

from bot.services import Services
from handlers.common import SORRY_STORAGE, bullets, header, section, team_of, usage_reply
from handlers.text import TextError, escape, first_word, unescape
from storage.glossary import define_term, find_term, list_terms
from storage.models import utcnow

USAGE = (
    "*Look up:* `/glossary MQL` · *Define or change:* "
    "`/glossary set MQL = Marketing Qualified Lead: a lead that …` · *All terms:* `/glossary list`"
)
TERM_LIMIT, DEFINITION_LIMIT = 100, 2500


@dataclass(frozen=True)
class Definition:
    term: str
    definition: str


def parse_definition(text: str) -> Definition:
    """`TERM = definition` (after `set`); raises TextError."""
    term, sep, definition = unescape(text).partition("=")
    term, definition = term.strip().strip('"“”').strip(), definition.strip()
    if not sep or not term or not definition:
        raise TextError("Give the term, an equals sign, then its definition.")
    if len(term) > TERM_LIMIT:
        raise TextError(f"A term is at most {TERM_LIMIT} characters.")
    if len(definition) > DEFINITION_LIMIT:
        raise TextError(f"A definition is at most {DEFINITION_LIMIT:,} characters.")
    return Definition(term=term, definition=definition)


def register(app: AsyncApp, services: Services) -> None:
    db = services.db

    @app.command("/glossary")
    async def glossary_command(
        ack: AsyncAck, command: dict[str, Any], context: AsyncBoltContext, logger: Logger
    ) -> None:
        text = command.get("text", "").strip()
        verb, rest = first_word(text)
        team_id = team_of(context)
        if not text or verb == "help":
            await ack(text=USAGE)
        elif verb == "set":
            try:
                entry = parse_definition(rest)
            except TextError as error:
                await ack(text=usage_reply(str(error), USAGE))
                return
            try:
                existed = await db.write(
                    define_term,
                    team_id=team_id,
                    user_id=command["user_id"],
                    term=entry.term,
                    definition=entry.definition,
                    now=utcnow(),
                )
            except SQLAlchemyError:
                logger.exception("could not store a glossary term")
                await ack(text=SORRY_STORAGE)
                return
            verb_done = "Changed" if existed else "Defined"
            await ack(text=f"{verb_done} *{escape(entry.term)}*: {escape(entry.definition)}")
        elif verb == "list":
            terms = await db.read(list_terms, team_id=team_id)
            lines = [f"*{escape(t.term)}*: {escape(t.definition)[:200]}" for t in terms]
            empty = "No terms yet. Define the first: `/glossary set MQL = Marketing Qualified Lead`"
            await ack(
                text=f"{len(terms)} glossary terms",
                blocks=[header("Glossary"), section(bullets(lines, empty=empty))],
            )
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
