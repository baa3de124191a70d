"""`/winloss`: reps report won and lost deals, and why."""

from __future__ import annotations

import re
from decimal import Decimal
from logging import Logger
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.services import Services
from core.text import TextError, escape, first_word, parse_command
from handlers import winloss_views
from handlers.common import (
    CommandReply,
    InputError,
    check_lengths,
    save_and_confirm,
    team_of,
    text_or_none,
)
from handlers.forms import on_submission, open_form
from storage.winloss import NewResult, save_result

USAGE = (
    "*Report a deal:* `/winloss win|loss DEAL [competitor:NAME] [amount:N] [campaign:NAME] "
    "REASON`\n"
    '`/winloss loss DEAL-7 competitor:Acme amount:48000 campaign:"Q3 webinar" '
    "price was 30% higher`. The reason is required; the amount is a number "
    "(`48000`, `$48,000`, `€1,200.50`). Reporting a deal again replaces the earlier report.\n"
    "*Form:* `/winloss` on its own"
)
OUTCOMES = {"win": "win", "won": "win", "loss": "loss", "lost": "loss"}
_SIGN = "$€£¥"
_AMOUNT = re.compile(rf"[{_SIGN}]?(\d{{1,3}}(?:,\d{{3}})+|\d+)(\.\d{{1,2}})?[{_SIGN}]?")
_MAX_AMOUNT = Decimal("999999999999.99")  # what Numeric(14, 2) holds
_LIMITS = {"deal": 200, "competitor": 200, "campaign": 200, "reason": 3000}


class ResultError(InputError):
    """A report that cannot be stored; `field` names the part that is wrong."""


def parse_amount(text: str) -> Decimal:
    """`48000`, `$48,000` or `€1,200.50` → a Decimal; raises ResultError."""
    match = _AMOUNT.fullmatch(text.strip())
    if match is None:
        raise ResultError(
            f"amount: takes a number, like `48000` or `$48,000`, not “{escape(text)}”.",
            field="amount",
        )
    value = Decimal(match[1].replace(",", "") + (match[2] or ""))
    if value > _MAX_AMOUNT:
        raise ResultError("That amount is too large to be a deal.", field="amount")
    return value


def build_result(
    *,
    outcome: str,
    deal_ref: str,
    competitor: str | None,
    amount: str | None,
    campaign: str | None,
    reason: str,
) -> NewResult:
    """Check a report however it was entered, command or form."""
    normal = OUTCOMES.get(outcome.strip().lower())
    if normal is None:
        raise ResultError("Start with `win` or `loss`.", field="outcome")
    deal_ref, reason = deal_ref.strip(), reason.strip()
    if not deal_ref:
        raise ResultError("Which deal? Give its reference, e.g. `DEAL-7`.", field="deal")
    if not reason:
        raise ResultError(
            f"Say why the deal was {'won' if normal == 'win' else 'lost'}: the reason is what "
            "both teams learn from.",
            field="reason",
        )
    texts = {"deal": deal_ref, "competitor": competitor, "campaign": campaign, "reason": reason}
    check_lengths(ResultError, _LIMITS, texts)
    return NewResult(
        outcome=normal,
        deal_ref=deal_ref,
        competitor=text_or_none(competitor),
        amount=parse_amount(amount) if amount and amount.strip() else None,
        campaign=text_or_none(campaign),
        reason=reason,
    )


def parse_result(text: str) -> NewResult:
    """`win|loss DEAL [competitor:…] [amount:…] [campaign:…] reason` → a report."""
    try:
        command = parse_command(text, positional=2, options=("competitor", "amount", "campaign"))
    except TextError as error:
        raise ResultError(str(error), field="reason") from None
    if len(command.positional) < 2:
        if not command.positional or command.positional[0].lower() not in OUTCOMES:
            raise ResultError("Start with `win` or `loss`, then the deal.", field="outcome")
        raise ResultError("Which deal? Give its reference after win or loss.", field="deal")
    outcome, deal_ref = command.positional
    return build_result(
        outcome=outcome,
        deal_ref=deal_ref,
        competitor=command.options.get("competitor"),
        amount=command.options.get("amount"),
        campaign=command.options.get("campaign"),
        reason=command.rest,
    )


def format_amount(amount: Decimal) -> str:
    """`48,000` or `1,200.50`."""
    shown = f"{amount:,.2f}"
    return shown.removesuffix(".00")


def confirmation(result: NewResult, *, replaced: str | None) -> str:
    """The ephemeral receipt for a stored report; says when it replaced an earlier one."""
    verb = "won" if result.outcome == "win" else "lost"
    parts = [f"Saved: *{escape(result.deal_ref)}* {verb}"]
    if result.competitor:
        parts.append(
            f" {'against' if result.outcome == 'win' else 'to'} {escape(result.competitor)}"
        )
    if result.amount is not None:
        parts.append(f", amount {format_amount(result.amount)}")
    if result.campaign:
        parts.append(f", campaign {escape(result.campaign)}")
    parts.append(".")
    if replaced is not None:
        parts.append(f" This replaces the earlier report of this deal (a {replaced}).")
    return "".join(parts)


def register(app: AsyncApp, services: Services) -> None:
    db = services.db

    async def report(context: AsyncBoltContext, user_id: str, result: NewResult) -> str:
        """Store the report; the receipt for it."""
        replaced = await db.write(
            save_result,
            team_id=team_of(context),
            user_id=user_id,
            result=result,
            now=services.now(),
        )
        return confirmation(result, replaced=replaced)

    @app.command("/winloss")
    async def winloss_command(
        ack: AsyncAck,
        command: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        logger: Logger,
    ) -> None:
        text = command.get("text", "").strip()
        if not text:
            form = winloss_views.report_form(channel_id=command.get("channel_id", ""))
            await open_form(ack, client, trigger_id=command["trigger_id"], view=form)
        elif first_word(text)[0] == "help":
            await ack(text=USAGE)
        else:
            await save_and_confirm(
                CommandReply(ack, usage=USAGE),
                logger,
                failure="could not store a win/loss report",
                check=lambda: parse_result(text),
                save=lambda result: report(context, command["user_id"], result),
            )

    on_submission(
        app,
        winloss_views.FORM_ID,
        title=winloss_views.TITLE,
        sorry_field="reason",
        failure="could not store a win/loss report from the form",
        check=lambda view: build_result(**winloss_views.read_form(view)),
        save=report,
    )
