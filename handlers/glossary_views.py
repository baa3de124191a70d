"""Block Kit for `/glossary`: the definition form and the term list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.blocks import Block, bullets, header, section
from core.text import escape
from handlers.forms import Submission, View, input_block, modal, text_input
from storage.models import GlossaryTerm

FORM_ID = "glossary_form"
TITLE = "Define a term"
EMPTY = "No terms yet. Define the first: `/glossary set MQL = Marketing Qualified Lead`"


def definition_form(*, channel_id: str) -> View:
    """The modal `/glossary` opens when typed on its own."""
    return modal(
        callback_id=FORM_ID,
        title=TITLE,
        private_metadata=channel_id,
        blocks=[
            input_block("term", "Term", text_input("MQL", max_length=100)),
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
