"""What `/competitor`, its alias verb and its form accept, as pure functions."""

from __future__ import annotations

from dataclasses import dataclass

from core.competitors import competitor_key, competitor_name
from core.text import unescape
from handlers.common import InputError, check_lengths
from storage import limits
from storage.competitors import CardText

LIMITS = {
    "name": limits.NAME,
    "alias": limits.NAME,
    "why_win": limits.CARD_FIELD,
    "why_lose": limits.CARD_FIELD,
    "pitch": limits.CARD_FIELD,
    "answer": limits.CARD_FIELD,
}
_QUOTES = "\"“”'"


class CompetitorError(InputError):
    """Input about a competitor that cannot be used; `field` names the part that is wrong."""


@dataclass(frozen=True)
class Aliases:
    name: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class CardEntry:
    name: str
    text: CardText


def clean_name(text: str, *, field: str = "name") -> str:
    """A competitor's name as typed: unquoted, blanks collapsed, without `competitor:`."""
    name = competitor_name(text.strip().strip(_QUOTES))
    if not name:
        raise CompetitorError("Which competitor? Give its name, like `Acme`.", field=field)
    check_lengths(CompetitorError, LIMITS, {field: name})
    return name


def parse_name(text: str) -> str:
    """`/competitor NAME` and `/competitor edit NAME`: the name, Slack's escaping undone."""
    return clean_name(unescape(text))


def parse_aliases(text: str) -> Aliases:
    """`NAME = SPELLING, SPELLING …` (after `alias`)."""
    name, sep, rest = unescape(text).partition("=")
    if not sep:
        raise CompetitorError(
            "Give the competitor, an equals sign, then its other spellings separated by commas.",
            field="alias",
        )
    shown = clean_name(name)
    aliases = [clean_name(part, field="alias") for part in rest.split(",") if part.strip()]
    if not aliases:
        raise CompetitorError(
            f"Which other spellings mean {shown}? List them after the equals sign.",
            field="alias",
        )
    if all(competitor_key(alias) == competitor_key(shown) for alias in aliases):
        raise CompetitorError(
            "Those spellings already match: case, spacing and `competitor:` never matter.",
            field="alias",
        )
    return Aliases(name=shown, aliases=tuple(aliases))


def build_card(*, name: str, why_win: str, why_lose: str, pitch: str, answer: str) -> CardEntry:
    """Check the card form's values."""
    texts = {
        "why_win": why_win.strip(),
        "why_lose": why_lose.strip(),
        "pitch": pitch.strip(),
        "answer": answer.strip(),
    }
    shown = clean_name(name)
    check_lengths(CompetitorError, LIMITS, texts)
    return CardEntry(name=shown, text=CardText(**texts))
