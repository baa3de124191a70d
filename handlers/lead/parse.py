"""What `/lead`, its form and `/lead stats` accept, as pure functions."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.text import TextError, parse_command
from handlers.common import InputError, check_lengths, text_or_none
from storage import limits
from storage.leads import CRITERIA, NewRating

LIMITS = {
    "lead": limits.REFERENCE,
    "campaign": limits.NAME,
    "segment": limits.NAME,
    "reason": limits.REASON,
}
MIN_LOW_REASON = 10
DEFAULT_DAYS = 30
_SCORE = re.compile(r"([1-5])(?:/5)?")


class RatingError(InputError):
    """A rating that cannot be stored; `field` names the part that is wrong."""


def build_rating(
    *,
    lead_ref: str,
    score: str,
    campaign: str | None,
    segment: str | None,
    criteria: dict[str, bool],
    reason: str,
) -> NewRating:
    """Check a rating however it was entered, command or form."""
    lead_ref, reason = lead_ref.strip(), reason.strip()
    if not lead_ref:
        raise RatingError("Which lead? Start with its reference, e.g. `ACME-42`.", field="lead")
    match = _SCORE.fullmatch(score.strip())
    if match is None:
        raise RatingError(
            f"“{score}” is not a score: use a whole number from 1 to 5, like `4` or `4/5`.",
            field="score",
        )
    value = int(match[1])
    if value <= 2 and len(reason) < MIN_LOW_REASON:
        raise RatingError(
            f"A score of {value} needs a reason of at least {MIN_LOW_REASON} characters, "
            "so marketing can act on it: say what was wrong with the lead.",
            field="reason",
        )
    texts = {"lead": lead_ref, "campaign": campaign, "segment": segment, "reason": reason}
    check_lengths(RatingError, LIMITS, texts)
    return NewRating(
        lead_ref=lead_ref,
        score=value,
        campaign=text_or_none(campaign),
        segment=text_or_none(segment),
        criteria=criteria,
        reason=reason,
    )


def parse_rating(text: str) -> NewRating:
    """`LEAD SCORE [campaign:…] [segment:…] [±criterion …] reason` → a rating."""
    try:
        command = parse_command(text, positional=2, options=("campaign", "segment"), flags=CRITERIA)
    except TextError as error:
        raise RatingError(str(error), field="lead") from None
    if len(command.positional) < 2:
        if command.positional and _SCORE.fullmatch(command.positional[0]):
            raise RatingError("Start with the lead reference, then the score.", field="lead")
        raise RatingError("Give the lead reference and a score from 1 to 5.", field="score")
    lead_ref, score = command.positional
    if _SCORE.fullmatch(lead_ref) and not _SCORE.fullmatch(score):
        raise RatingError("Start with the lead reference, then the score.", field="lead")
    return build_rating(
        lead_ref=lead_ref,
        score=score,
        campaign=command.options.get("campaign"),
        segment=command.options.get("segment"),
        criteria=command.flags,
        reason=command.rest,
    )


@dataclass(frozen=True)
class StatsQuery:
    campaign: str | None
    days: int


def parse_stats(text: str) -> StatsQuery:
    """`[campaign:NAME] [days:N]` → what to sum up; raises TextError."""
    command = parse_command(text, options=("campaign", "days"))
    if command.rest:
        raise TextError(f"I don't understand “{command.rest}”.")
    days_text = command.options.get("days", str(DEFAULT_DAYS))
    if not days_text.isdigit() or not 1 <= int(days_text) <= 3650:
        raise TextError(f"days: takes a whole number of days from 1 to 3650, not “{days_text}”.")
    return StatsQuery(campaign=command.options.get("campaign") or None, days=int(days_text))
