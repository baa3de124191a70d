"""What `/glossary set` and its form accept, as pure functions."""

from __future__ import annotations

from dataclasses import dataclass

from core.text import unescape
from handlers.common import InputError, check_lengths
from storage import limits

LIMITS = {"term": limits.TERM, "definition": limits.DEFINITION}


class GlossaryError(InputError):
    """A definition that cannot be stored."""


@dataclass(frozen=True)
class Definition:
    term: str
    definition: str


def build_definition(*, term: str, definition: str) -> Definition:
    """Check a definition however it was entered, command or form."""
    term, definition = clean_term(term), definition.strip()
    if not term:
        raise GlossaryError("Which term is being defined?", field="term")
    if not definition:
        raise GlossaryError("What does the term mean? Give its definition.", field="definition")
    check_lengths(GlossaryError, LIMITS, {"term": term, "definition": definition})
    return Definition(term=term, definition=definition)


def parse_definition(text: str) -> Definition:
    """`TERM = definition` (after `set`)."""
    term, sep, definition = unescape(text).partition("=")
    if not sep:
        raise GlossaryError("Give the term, an equals sign, then its definition.", field="term")
    return build_definition(term=term, definition=definition)


def clean_term(text: str) -> str:
    """A term as typed to look it up or define it: without blanks or quotes around it."""
    return text.strip().strip('"“”').strip()
