"""Competitor names as every feature and the clock match them, and the nearest known names.

The key itself lives in storage (`storage.competitors.competitor_key`): the storage layer
writes it into every row that names a competitor and cannot import this layer, so there is
one function, re-exported here for features that do not otherwise touch storage.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from storage.competitors import competitor_key, competitor_name

__all__ = ["STALE_DAYS", "competitor_key", "competitor_name", "nearest_names"]

STALE_DAYS = 90  # a card nobody reviewed for this long is marked stale
# difflib's ratio: 0.6 is its own default, and lets one typo through even in a short name
# ("acmee" -> "acme" is 0.89, "acm" -> "acme" 0.86) while unrelated names stay out.
_CUTOFF = 0.6


def nearest_names(name: str, known: Iterable[str], *, count: int = 3) -> list[str]:
    """The known names closest to `name` (any case or spacing), closest first.

    difflib (standard library) rather than rapidfuzz: a workspace knows tens of
    competitors, not millions, so speed does not matter; difflib's ratio handles the
    typos that matter here (a letter dropped, doubled or swapped) and brings no compiled
    dependency to install on every platform Tandem runs on.
    """
    by_key: dict[str, str] = {}
    for shown in known:
        by_key.setdefault(competitor_key(shown), shown)
    close = difflib.get_close_matches(competitor_key(name), by_key, n=count, cutoff=_CUTOFF)
    return [by_key[key] for key in close]
