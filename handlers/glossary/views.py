"""Block Kit and words for `/glossary`: its usage, the definition form, the term list, receipts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.blocks import Block, bullets, header, section
from core.text import escape
from handlers.common import Saving
from handlers.forms import Submission, View, input_block, modal, text_input
from handlers.glossary.parse import Definition
from storage import limits
from storage.models import GlossaryTerm

USAGE = (
    "*Look up:* `/glossary MQL` · *Define or change:* "
    "`/glossary set MQL = Marketing Qualified Lead: a lead that …` · *All terms:* `/glossary list`"
    " · *Form:* `/glossary` on its own"
)
TITLE = "Define a term"
SAVING = Saving(USAGE, TITLE, sorry_field="definition", what="a glossary term")
EMPTY = "No terms yet. Define the first: `/glossary set MQL = Marketing Qualified Lead`"


def definition_form(*, callback_id: str, channel_id: str) -> View:
    """The modal `/glossary` opens when typed on its own."""
    return modal(
        callback_id=callback_id,
        title=TITLE,
        private_metadata=channel_id,
        blocks=[
            input_block("term", "Term", text_input("MQL", max_length=limits.TERM)),
            input_block(
                "definition",
                "Definition",
                text_input("Marketing Qualified Lead: a lead that …", multiline=True),
                hint="Defining a term that exists changes its definition for everyone.",
            ),
        ],
    )


def read_form(view: dict[str, Any]) -> dict[str, str]:
    """The submitted form's values, as `build_definition` keyword arguments."""
    form = Submission.of(view)
    return {"term": form.value("term"), "definition": form.value("definition")}


def term_list(terms: Sequence[GlossaryTerm]) -> list[Block]:
    lines = [f"*{escape(t.term)}*: {escape(t.definition)[:200]}" for t in terms]
    return [header("Glossary"), section(bullets(lines, empty=EMPTY))]


def defined(entry: Definition, *, existed: bool) -> str:
    """The receipt for a stored definition."""
    done = "Changed" if existed else "Defined"
    return f"{done} *{escape(entry.term)}*: {escape(entry.definition)}"


def definition(term: GlossaryTerm) -> str:
    return f"*{escape(term.term)}*: {escape(term.definition)}"


def unknown(term: str) -> str:
    return (
        f"*{escape(term)}* is not in the glossary yet. Define it with "
        f"`/glossary set {escape(term)} = …`"
    )
