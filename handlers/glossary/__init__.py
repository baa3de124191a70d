"""`/glossary`: one vocabulary for sales and marketing."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.services import Services
from core.text import unescape
from handlers.command import Asked, command
from handlers.common import CommandReply, save_and_confirm, team_of
from handlers.forms import on_submission, open_form
from handlers.glossary import views
from handlers.glossary.parse import Definition, build_definition, clean_term, parse_definition
from storage.glossary import define_term, find_term, list_terms

FORM = "glossary_form"


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
        return views.defined(entry, existed=existed)

    async def form(asked: Asked) -> None:
        view = views.definition_form(callback_id=FORM, channel_id=asked.channel_id)
        await open_form(asked.ack, asked.client, trigger_id=asked.trigger_id, view=view)

    async def set_term(asked: Asked) -> None:
        await save_and_confirm(
            CommandReply(asked.ack, usage=views.USAGE),
            asked.logger,
            failure="could not store a glossary term",
            check=lambda: parse_definition(asked.text),
            save=lambda entry: define(asked.context, asked.user_id, entry),
        )

    async def list_all(asked: Asked) -> None:
        terms = await db.read(list_terms, team_id=asked.team_id)
        await asked.ack(text=f"{len(terms)} glossary terms", blocks=views.term_list(terms))

    async def look_up(asked: Asked) -> None:
        term = clean_term(unescape(asked.text))
        found = await db.read(find_term, team_id=asked.team_id, term=term)
        await asked.ack(text=views.unknown(term) if found is None else views.definition(found))

    command(
        app,
        "/glossary",
        usage=views.USAGE,
        form=form,
        verbs={"set": set_term, "list": list_all},
        otherwise=look_up,
    )
    on_submission(
        app,
        FORM,
        title=views.TITLE,
        sorry_field="definition",
        failure="could not store a glossary term from the form",
        check=lambda view: build_definition(**views.read_form(view)),
        save=define,
    )
