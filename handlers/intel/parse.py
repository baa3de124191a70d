"""What `/intel`, its form and the message shortcut accept, as pure functions."""

from __future__ import annotations

from dataclasses import dataclass

from core.text import GROUP, TextError, Word, unescape, words
from handlers.common import InputError, check_lengths, search_words, text_or_none
from storage import limits
from storage.intel import KINDS, NewIntel, search_terms

LIMITS = {"subject": limits.NAME, "text": limits.INTEL_TEXT}
KIND_LIST = ", ".join(f"`{kind}:`" for kind in KINDS)


class IntelError(InputError):
    """A post that cannot be stored; `field` names the part that is wrong."""


def build_intel(*, kind: str, subject: str | None, text: str) -> NewIntel:
    """Check a post however it was entered: command, form or message shortcut."""
    kind, subject, text = kind.strip().lower(), text_or_none(subject), text.strip()
    if kind not in KINDS:
        raise IntelError(f"Pick a kind of intel: {KIND_LIST}.", field="kind")
    if subject is None and kind != "market":
        raise IntelError(
            f"Say which {kind} it is about: `{kind}:Acme`, or quoted with spaces "
            f'`{kind}:"Globex Corp"`.',
            field="subject",
        )
    check_lengths(IntelError, LIMITS, {"subject": subject})
    if not text:
        raise IntelError("What did you learn? Write it after the subject.", field="text")
    if len(text) > LIMITS["text"]:
        raise IntelError(f"That is too long ({LIMITS['text']:,} characters at most).", field="text")
    return NewIntel(kind=kind, subject=subject, text=text)


def first_word_of(text: str) -> Word | None:
    """The first word of raw text; the free text after it may hold a stray quote."""
    groups = [m.span() for m in GROUP.finditer(text)]
    # Whitespace inside a quote or a `<…>` group never ends a word, so the first cut
    # whose prefix parses ends the first word; past a subject's length there is no point.
    cuts = [
        i
        for i, c in enumerate(text[: LIMITS["subject"] + 100])
        if c.isspace() and not _inside(i, groups)
    ]
    for cut in [*cuts, len(text)]:
        try:
            found = words(text[:cut])
        except TextError:
            continue
        if found:
            return found[0]
    words(text)  # raises the grammar's own error
    return None


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(start < position < end for start, end in spans)


def parse_intel(text: str) -> NewIntel:
    """`KIND:SUBJECT text` (the subject quoted if it has spaces) → a post."""
    try:
        first = first_word_of(text)
    except TextError as error:
        raise IntelError(str(error), field="subject") from None
    if first is None or first.key is None:
        raise IntelError(
            f"Start with the kind and subject, like `competitor:Acme`. Kinds: {KIND_LIST}.",
            field="kind",
        )
    if first.key not in KINDS:
        # The key is letters, digits, `_` and `-` only, so it is safe to show back.
        raise IntelError(f"“{first.key}” is not a kind of intel. Kinds: {KIND_LIST}.", field="kind")
    return build_intel(kind=first.key, subject=first.value, text=unescape(text[first.end :]))


@dataclass(frozen=True)
class SearchQuery:
    words: tuple[str, ...]
    text: str  # as typed, unescaped, for the answer


def parse_search(text: str) -> SearchQuery:
    """`WORDS` → the words a post must contain, at most SEARCH_WORDS of bounded length."""
    query = unescape(text).strip()
    terms = search_words(IntelError, query, lambda q: search_terms(q.split()), field="text")
    if not terms:
        raise IntelError("What should I look for?", field="text")
    return SearchQuery(words=tuple(terms), text=query)
