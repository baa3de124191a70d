"""Every command parser, fed anything, returns a value or a usage error: never a crash."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.text import TextError
from handlers.cadence.parse import parse_set
from handlers.collateral.parse import parse_add, parse_find, parse_vote
from handlers.common import InputError
from handlers.glossary.parse import parse_definition
from handlers.intel.parse import parse_intel
from handlers.lead.parse import parse_rating, parse_stats
from handlers.winloss.parse import parse_result

# Slack's markup and the grammar's own characters, mixed with anything at all.
PIECES = st.sampled_from(
    [
        " ",
        '"',
        "“",
        "”",
        ":",
        "+",
        "-",
        "#",
        "=",
        "/",
        "&amp;",
        "&lt;",
        "&gt;",
        "<",
        ">",
        "|",
        "<https://a.example/x|a b>",
        "<@U1|ann>",
        "<!here>",
        "<#C1|general>",
        "campaign:",
        "amount:",
        "agenda:",
        "months:",
        "competitor:",
        "market:",
        "4/5",
        "2",
        "day-31",
        "first-tue",
        "10:00",
        "Europe/Berlin",
        "win",
        "loss",
        "monthly",
        "quarterly",
        "\n",
        "0",
    ]
)
TEXTS = st.lists(st.one_of(PIECES, st.text(max_size=8)), max_size=14).map("".join)
PARSERS: list[Callable[[str], Any]] = [
    parse_rating,
    parse_stats,
    parse_intel,
    parse_result,
    parse_add,
    parse_find,
    parse_vote,
    parse_definition,
    parse_set,
]


@pytest.mark.parametrize("parse", PARSERS, ids=lambda parse: parse.__name__)
@settings(max_examples=150, deadline=None)
@given(text=TEXTS)
def test_parsers_never_crash(parse: Callable[[str], Any], text: str) -> None:
    """Whatever is typed, the parser answers with a value or a user-facing error."""
    try:
        parse(text)
    except (InputError, TextError) as error:
        assert str(error).strip()
