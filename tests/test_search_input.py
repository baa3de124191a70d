"""Searches are bounded: too many or too long words, or a NUL, are refused saying why."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from core.wording import SORRY_STORAGE
from handlers.collateral.parse import CollateralError, parse_find
from handlers.intel.parse import IntelError, parse_search
from storage import limits
from storage.collateral import find_collateral
from storage.intel import search_intel
from tests.slack_client import SignedSlack, reply_text

WORDS = " ".join(f"w{i % 97}" for i in range(10_000))  # ≈ 50 KB of short words


@pytest.mark.parametrize(
    ("command", "text", "says"),
    [
        ("/collateral", "find " + "é" * 30_000, "too long to search for"),
        ("/collateral", "find " + "é" * 101, "100 characters at most"),
        ("/collateral", "find " + WORDS, "too long to search for"),
        ("/collateral", "find " + "a " * 11, "search for at most 10"),
        ("/intel", "search a\x00b", "NUL"),
        ("/intel", "search " + WORDS, "too long to search for"),
        ("/intel", "search " + "word " * 11, "search for at most 10"),
        ("/intel", "search " + "x" * 101, "100 characters at most"),
        ("/lead", "ACME-1 4 nice\x00lead", "NUL"),
    ],
)
async def test_bad_search_input_is_refused_saying_why(
    slack: SignedSlack, command: str, text: str, says: str
) -> None:
    """Input no search can take is refused at once, saying why, not blamed on the database."""
    started = time.perf_counter()
    response = await slack.command(command, text)
    assert time.perf_counter() - started < 1
    assert response.status_code == 200
    answer = reply_text(response)
    assert says in answer
    assert SORRY_STORAGE not in answer


async def test_ten_long_words_are_searched(slack: SignedSlack) -> None:
    """The most a search takes, ten words of 100 characters, is searched and answered."""
    long_words = " ".join(f"{i}" + "é" * 99 for i in range(limits.SEARCH_WORDS))
    for command in ("/intel search ", "/collateral find "):
        name, verb = command.split()
        response = await slack.command(name, f"{verb} {long_words}")
        assert response.status_code == 200
        assert "0 " in reply_text(response) or "No " in reply_text(response)


def test_parsers_bound_words() -> None:
    """The parsers refuse past SEARCH_WORDS words of SEARCH_WORD characters, and take up to."""
    most = " ".join(["w" * limits.SEARCH_WORD] * limits.SEARCH_WORDS)
    assert len(parse_search(most).words) == limits.SEARCH_WORDS
    assert len(parse_find(most).words) == limits.SEARCH_WORDS
    with pytest.raises(IntelError):
        parse_search(most + " w")
    with pytest.raises(CollateralError):
        parse_find(most + " #tag")


def test_storage_bounds_any_caller(engine: Engine) -> None:
    """Called with thousands of words, the searches still look for a bounded few, quickly."""
    many = [f"w{i}" for i in range(5_000)]
    started = time.perf_counter()
    with Session(engine) as session:
        assert search_intel(session=session, team_id="T1", words=many) == []
        assert find_collateral(session=session, team_id="T1", words=many, tags=many) == []
    assert time.perf_counter() - started < 1
