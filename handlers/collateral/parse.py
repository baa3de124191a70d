"""What `/collateral`, its form and its vote buttons accept, as pure functions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from core.blocks import link_target
from core.text import TextError, escape, link_url, words
from handlers.common import InputError, check_lengths, search_words
from storage import limits
from storage.collateral import VOTES, NewCollateral

LIMITS = {"title": limits.TITLE, "url": limits.URL}

_MAX_TAGS = 10
_TAG = re.compile(r"#([^\W_][\w-]{0,49})")
_VOTE_VALUE = re.compile(r"([0-9]{1,18}):(" + "|".join(VOTES) + ")")


class CollateralError(InputError):
    """Input that cannot be stored; `field` names the part that is wrong."""


def check_url(url: str) -> str:
    """The URL if it is an http(s) link with a host; else a CollateralError."""
    shown = escape(url if len(url) <= 60 else url[:59] + "…")
    try:
        parts = urlsplit(url)
        web = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:  # such as an unclosed `[` of an IPv6 host
        web = False
    if not web or any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise CollateralError(
            f"“{shown}” is not a web link: only http:// and https:// links can be shared.",
            field="url",
        )
    # Measured escaped, as it stands in Slack's link markup: that is what has to fit.
    if len(link_target(url)) > LIMITS["url"]:
        raise CollateralError(
            f"The link is too long ({LIMITS['url']:,} characters at most).", field="url"
        )
    return url


def build_collateral(*, url: str, title: str, tags: Iterable[str]) -> NewCollateral:
    """Check an item however it was entered, command or form."""
    url, title = check_url(url.strip()), " ".join(title.split())
    if not title:
        raise CollateralError("Give the item a title after the link.", field="title")
    check_lengths(CollateralError, LIMITS, {"title": title})
    unique = tuple(dict.fromkeys(tag.lower() for tag in tags))
    if len(unique) > _MAX_TAGS:
        raise CollateralError(f"Give at most {_MAX_TAGS} tags.", field="tags")
    return NewCollateral(url=url, title=title, tags=unique)


def parse_add(text: str) -> NewCollateral:
    """`URL TITLE [#tag …]` (after `add`) → an item; tags may stand anywhere after the URL."""
    try:
        found = words(text)
    except TextError as error:
        raise CollateralError(escape(str(error)), field="title") from None
    if not found:
        raise CollateralError("Start with the link, then the title.", field="url")
    url = link_url(found[0].raw) or found[0].text
    tags, title = [], []
    for word in found[1:]:
        tag = _TAG.fullmatch(word.text)
        if tag:
            tags.append(tag[1].lower())
        else:
            title.append(word.text)
    return build_collateral(url=url, title=" ".join(title), tags=tags)


def parse_tags(text: str) -> tuple[str, ...]:
    """The form's tags field: `#hotels #case-study`, `hotels, case-study` or a mix."""
    tags = []
    for part in text.replace(",", " ").split():
        tag = _TAG.fullmatch("#" + part.removeprefix("#"))
        if tag is None:
            raise CollateralError(
                f"“{escape(part)}” is not a tag: use letters, digits and dashes, like #case-study.",
                field="tags",
            )
        tags.append(tag[1].lower())
    return tuple(tags)


@dataclass(frozen=True)
class FindQuery:
    words: tuple[str, ...]
    tags: tuple[str, ...]
    text: str


def parse_find(text: str) -> FindQuery:
    """`WORDS|#tag …` → what titles must contain and which tags items must have."""
    found = search_words(CollateralError, text, _texts, field="title")
    if not found:
        raise TextError("What should I look for?")
    tags = tuple(m[1].lower() for m in map(_TAG.fullmatch, found) if m)
    plain = tuple(word for word in found if not _TAG.fullmatch(word))
    return FindQuery(words=plain, tags=tags, text=" ".join(found))


def _texts(text: str) -> list[str]:
    return [word.text for word in words(text)]


def parse_vote(value: str) -> tuple[int, str] | None:
    match = _VOTE_VALUE.fullmatch(value or "")
    return (int(match[1]), match[2]) if match else None
