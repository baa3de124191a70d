"""`/lead`: reps rate the leads marketing hands them, and say why."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from logging import Logger
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.services import Services
from core.text import TextError, escape, first_word, parse_command
from handlers import lead_views
from handlers.common import (
    CommandReply,
    InputError,
    check_lengths,
    save_and_confirm,
    team_of,
    text_or_none,
    usage_reply,
)
from handlers.forms import on_submission, open_form
from storage.leads import CRITERIA, NewRating, RatingWrite, lead_stats, save_ratings

USAGE = (
    "*Rate a lead:* `/lead LEAD SCORE [campaign:NAME] [segment:NAME] [+budget|-budget] "
    "[+authority|-authority] [+need|-need] [+timing|-timing] REASON`\n"
    'For example `/lead ACME-42 2 campaign:"Q3 webinar" -budget +need contact left the company`. '
    "The score is 1 to 5 (`4` or `4/5`); a 1 or 2 needs a reason of at least 10 characters. "
    "Rating a lead again replaces your earlier rating.\n"
    "*Sum up:* `/lead stats [campaign:NAME] [days:N]` · *Form:* `/lead` on its own"
)
STATS_USAGE = "`/lead stats [campaign:NAME] [days:N]`, for example `/lead stats days:90`"
MIN_LOW_REASON = 10
DEFAULT_DAYS = 30
_SCORE = re.compile(r"([1-5])(?:/5)?")
_LIMITS = {"lead": 200, "campaign": 200, "segment": 200, "reason": 3000}


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
    check_lengths(RatingError, _LIMITS, texts)
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


def confirmation(rating: NewRating, *, replaced: bool) -> str:
    """The ephemeral receipt for a stored rating."""
    parts = [f"Saved: *{escape(rating.lead_ref)}* rated *{rating.score}/5*"]
    if rating.campaign:
        parts.append(f" for {escape(rating.campaign)}")
    if rating.criteria:
        marks = ", ".join(
            f"{name} {'met' if met else 'not met'}" for name, met in rating.criteria.items()
        )
        parts.append(f" ({marks})")
    parts.append(".")
    if replaced:
        parts.append(" This replaces your earlier rating of this lead.")
    return "".join(parts)


def register(app: AsyncApp, services: Services) -> None:
    db = services.db

    async def rate(context: AsyncBoltContext, user_id: str, rating: NewRating) -> str:
        """Store the rating; the receipt for it."""
        write = RatingWrite(
            team_id=team_of(context), user_id=user_id, rating=rating, now=services.now()
        )
        replaced: bool = await db.write_many(save_ratings, write)
        return confirmation(rating, replaced=replaced)

    @app.command("/lead")
    async def lead_command(
        ack: AsyncAck,
        command: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        logger: Logger,
    ) -> None:
        text = command.get("text", "").strip()
        verb, rest = first_word(text)
        if not text:
            form = lead_views.rating_form(channel_id=command.get("channel_id", ""))
            await open_form(ack, client, trigger_id=command["trigger_id"], view=form)
        elif verb == "help":
            await ack(text=USAGE)
        elif verb == "stats":
            await _stats(ack=ack, context=context, text=rest)
        else:
            await save_and_confirm(
                CommandReply(ack, usage=USAGE),
                logger,
                failure="could not store a lead rating",
                check=lambda: parse_rating(text),
                save=lambda rating: rate(context, command["user_id"], rating),
            )

    async def _stats(*, ack: AsyncAck, context: AsyncBoltContext, text: str) -> None:
        try:
            query = parse_stats(text)
        except TextError as error:
            await ack(text=usage_reply(str(error), STATS_USAGE))
            return
        since: datetime = services.now() - timedelta(days=query.days)
        stats = await db.read(
            lead_stats, team_id=team_of(context), since=since, campaign=query.campaign
        )
        await ack(
            text=f"Lead ratings: {stats.overall.count}",
            blocks=lead_views.stats_blocks(stats, days=query.days, campaign=query.campaign),
        )

    on_submission(
        app,
        lead_views.FORM_ID,
        title=lead_views.TITLE,
        sorry_field="reason",
        failure="could not store a lead rating from the form",
        check=lambda view: build_rating(**lead_views.read_form(view)),
        save=rate,
    )
