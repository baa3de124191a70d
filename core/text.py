"""The text grammar of Tandem's slash commands, as pure functions.

Slack sends command text with ``&``, ``<`` and ``>`` escaped as entities, and
wraps links, mentions and special mentions in angle brackets. Since a real
``<`` or ``>`` typed by a user always arrives escaped, every ``<…>`` group
without an inner ``<`` or ``>`` is one of Slack's markups and is never split:
not by whitespace, and not by a quote inside a link label.

Quotes group a word only at its start or right after a ``key:``, so ``12"``
and ``it's`` stay literal; quoting a word (``"+need"``) keeps it from being
read as an option or a flag.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_MARKUP = re.compile(r"<([^<>]*)>|&(amp|lt|gt);")
GROUP = re.compile(r"<[^<>]*>")  # one of Slack's markups: never split
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>|]+")
_BARE_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s<>|]+")
# `https://x` is a URL, not the key `https`.
_KEY = re.compile(r"([A-Za-z][A-Za-z0-9_-]*):(?!//)")
_FLAG = re.compile(r"[+-]([A-Za-z][A-Za-z0-9_-]*)")
# Phones turn straight quotes into typographic ones, sometimes both into ”.
_CLOSERS = {'"': '"”', "“": '”"', "”": '”"'}
_BROADCASTS = frozenset({"here", "channel", "everyone"})
_SNIPPET = 40


class TextError(ValueError):
    """Input that cannot be parsed; str(err) is a user-facing sentence."""


def unescape(text: str) -> str:
    """Turn Slack-escaped text into the plain text the user saw."""
    return _MARKUP.sub(_unmark, text)


def _decode(text: str) -> str:
    """Decode the three entities Slack uses, once."""
    return _MARKUP.sub(lambda m: _ENTITIES[m[2]] if m[2] else m[0], text)


def _unmark(match: re.Match[str]) -> str:
    if match[2]:
        return _ENTITIES[match[2]]
    target, _, label = match[1].partition("|")
    target, label = _decode(target), _decode(label)
    sigil, name = target[:1], target[1:]
    if sigil == "@" and name:
        return "@" + (label.removeprefix("@") or name)
    if sigil == "#" and name:
        return "#" + (label.removeprefix("#") or name)
    if sigil == "!" and name:
        return _special(name, label)
    if _URL.fullmatch(target):
        return _link_text(target, label)
    return "<" + _decode(match[1]) + ">"


def _special(name: str, label: str) -> str:
    """`<!here>`, `<!subteam^S1|@team>`, `<!date^…|fallback>` and the like."""
    kind, _, ident = name.partition("^")
    if kind in _BROADCASTS:
        return "@" + kind
    if label:
        return label
    if kind == "subteam" and ident:
        return "@" + ident
    return "@" + name


def _link_text(url: str, label: str) -> str:
    # Slack auto-links `example.com` and `a@b` as `<http://example.com|example.com>`
    # and `<mailto:a@b|a@b>`: the label alone is what the user typed.
    bare = _SCHEME.sub("", url, count=1).removeprefix("//")
    if not label or label == url:
        return url
    if label == bare:
        return label
    return f"{label} ({url})"


def link_url(raw: str) -> str | None:
    """The URL of one Slack-escaped token that is a link or a bare URL, else None."""
    token = raw.strip()
    group = GROUP.fullmatch(token)
    if group:
        target = _decode(token[1:-1].partition("|")[0])
        return target if _URL.fullmatch(target) else None
    plain = unescape(token)
    return plain if _BARE_URL.fullmatch(plain) else None


def escape(text: str) -> str:
    """Plain text made safe to show in Slack: no live links or mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class Word:
    """One whitespace-separated word of Slack-escaped text."""

    value: str  # unescaped, quotes removed; for `key:value` words the value part
    key: str | None  # lower-cased key of a `key:value` word, else None
    start: int  # offset in the raw text
    end: int
    raw: str  # text[start:end]

    @property
    def text(self) -> str:
        """The whole word unescaped and unquoted, key included as typed."""
        if self.key is None:
            return self.value
        return self.raw[: len(self.key) + 1] + self.value


def words(text: str) -> list[Word]:
    """Split raw Slack text into words, honouring `<…>` groups and quotes."""
    groups = {m.start(): m.end() for m in GROUP.finditer(text)}
    found: list[Word] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        key = _KEY.match(text, i)
        body = key.end() if key else i
        i = body
        closers = _CLOSERS.get(text[body]) if body < n else None
        if closers:
            i += 1
            while i < n and text[i] not in closers:
                i = groups.get(i, i + 1)
            if i >= n:
                raise TextError(f"A quote is not closed: {_snippet(text[body:])}")
            close = i
            i += 1
        while i < n and not text[i].isspace():
            i = groups.get(i, i + 1)
        if closers:
            value = unescape(text[body + 1 : close]) + unescape(text[close + 1 : i])
        else:
            value = unescape(text[body:i])
        found.append(
            Word(
                value=value,
                key=key[1].lower() if key else None,
                start=start,
                end=i,
                raw=text[start:i],
            )
        )
    return found


def _snippet(raw: str) -> str:
    plain = " ".join(unescape(raw).split())
    return plain if len(plain) <= _SNIPPET else plain[: _SNIPPET - 1] + "…"


@dataclass(frozen=True)
class Command:
    """Slash-command text split into positional words, options, flags and the rest."""

    positional: tuple[str, ...]
    options: dict[str, str]
    flags: dict[str, bool]
    rest: str  # unescaped; quoted words in it keep their quotes


def parse_command(
    text: str,
    *,
    positional: int = 0,
    options: Iterable[str] = (),
    flags: Iterable[str] = (),
) -> Command:
    """Parse raw slash-command text; only the given options and flags are recognised."""
    option_keys = {key.lower() for key in options}
    flag_names = {name.lower() for name in flags}
    found_options: dict[str, str] = {}
    found_flags: dict[str, bool] = {}
    found_positional: list[str] = []
    sorted_words: list[tuple[Word, bool]] = []
    for word in words(text):
        flag = _FLAG.fullmatch(word.raw)
        if word.key is not None and word.key in option_keys:
            if word.key in found_options:
                raise TextError(f"Give {word.key}: only once.")
            found_options[word.key] = word.value
        elif flag and flag[1].lower() in flag_names:
            found_flags[flag[1].lower()] = word.raw.startswith("+")
        elif len(found_positional) < positional:
            found_positional.append(word.text)
        else:
            sorted_words.append((word, True))
            continue
        sorted_words.append((word, False))
    return Command(
        positional=tuple(found_positional),
        options=found_options,
        flags=found_flags,
        rest=_rest(text, sorted_words),
    )


def _rest(text: str, sorted_words: list[tuple[Word, bool]]) -> str:
    """The kept words, unescaped, with the original spacing between them."""
    parts: list[str] = []
    gaps: list[str] = []
    pos = 0
    for word, keep in sorted_words:
        gaps.append(text[pos : word.start])
        pos = word.end
        if not keep:
            continue
        if parts:
            parts.append(gaps[0] if len(gaps) == 1 else _collapse(gaps))
        parts.append(unescape(word.raw))
        gaps = []
    return "".join(parts).strip()


def _collapse(gaps: list[str]) -> str:
    """Where words were taken out, leave one space, or as many line breaks as a gap had."""
    breaks = max(gap.count("\n") for gap in gaps)
    return "\n" * breaks if breaks else " "


def first_word(text: str) -> tuple[str, str]:
    """The first word lower-cased, and the raw remainder stripped."""
    head, *tail = text.split(maxsplit=1) or [""]
    return head.lower(), tail[0].strip() if tail else ""
