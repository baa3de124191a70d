"""What `/tandem export` and `/tandem forget` accept, as pure functions."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.text import TextError, parse_command
from handlers.common import InputError

LIMITS = {"days": 3650}
# How Slack sends a mention in command text: `<@U123>` or `<@U123|name>`.
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")


class TandemError(InputError):
    """A `/tandem` request that cannot be acted on."""


@dataclass(frozen=True)
class ExportRequest:
    days: int | None  # None: everything kept


def parse_export(text: str) -> ExportRequest:
    """`[days:N]` (after `export`)."""
    try:
        command = parse_command(text, options=("days",))
    except TextError as error:
        raise TandemError(str(error), field="days") from None
    if command.rest:
        raise TandemError(f"I don't understand “{command.rest}”.", field="days")
    days = command.options.get("days")
    if days is None:
        return ExportRequest(days=None)
    if not days.isdigit() or not 1 <= int(days) <= LIMITS["days"]:
        raise TandemError(
            f"days: takes a whole number of days from 1 to {LIMITS['days']}, not “{days}”.",
            field="days",
        )
    return ExportRequest(days=int(days))


def parse_forget(text: str) -> str:
    """`@user` (after `forget`): the Slack user id of the one person mentioned."""
    found = _MENTION.findall(text)
    rest = _MENTION.sub("", text).strip()
    if len(found) != 1 or rest:
        raise TandemError("Name one person to forget, as a mention: `@name`.", field="user")
    return str(found[0])
