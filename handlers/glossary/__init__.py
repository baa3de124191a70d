"""`/glossary`: one vocabulary for sales and marketing."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.services import Services
from core.text import unescape
from handlers.command import Asked, command, opening, saving
from handlers.common import Actor
from handlers.forms import on_submission
from handlers.glossary import views
from handlers.glossary.parse import Definition, build_definition, clean_term, parse_definition
from storage.glossary import define_term, find_term, list_terms

FORM = "glossary_form"


def register(app: AsyncApp, services: Services) -> None:
    db = services.db

    async def define(actor: Actor, entry: Definition) -> str:
        """Store the definition; the receipt for it."""
        existed = await db.write(
            define_term,
            team_id=actor.team_id,
            user_id=actor.user_id,
            term=entry.term,
            definition=entry.definition,
            now=services.now(),
        )
        return views.defined(entry, existed=existed)

    form = opening(
        lambda asked: views.definition_form(callback_id=FORM, channel_id=asked.channel_id)
    )
    set_term = saving(views.SAVING, parse_definition, define)

    async def list_all(asked: Asked) -> None:
        terms = await db.read(list_terms, team_id=asked.team_id)
        await asked.ack(text=f"{len(terms)} glossary terms", blocks=views.term_list(terms))

    async def look_up(asked: Asked) -> None:
        term = clean_term(unescape(asked.text))
        found = await db.read(find_term, team_id=asked.team_id, term=term)
        await asked.ack(text=views.unknown(term) if found is None else views.definition(found))

    verbs = {"set": set_term, "list": list_all}
    command(app, "/glossary", views.USAGE, form, verbs, look_up)
    on_submission(
        app, FORM, views.SAVING, lambda view: build_definition(**views.read_form(view)), define
    )
