"""Block Kit and words for `/winloss`: its usage, the report form, receipts."""

from __future__ import annotations

from typing import Any

from core.money import format_money
from core.text import escape
from handlers.common import Saving
from handlers.forms import Submission, View, input_block, modal, static_select, text_input
from storage.winloss import NewResult

USAGE = (
    "*Report a deal:* `/winloss win|loss DEAL [competitor:NAME] [amount:N] [campaign:NAME] "
    "REASON`\n"
    '`/winloss loss DEAL-7 competitor:Acme amount:48000 campaign:"Q3 webinar" '
    "price was 30% higher`. The reason is required; the amount is a number, with its "
    "currency if you like (`48000`, `$48,000`, `€1,200.50`, `5000CHF`). "
    "Reporting a deal again replaces the earlier report.\n"
    "*Form:* `/winloss` on its own"
)
TITLE = "Report a win or loss"
SAVING = Saving(USAGE, TITLE, sorry_field="reason", what="a win/loss report")


def report_form(*, callback_id: str, channel_id: str) -> View:
    """The modal `/winloss` opens when typed on its own."""
    outcomes = static_select((("Won", "win"), ("Lost", "loss")))
    return modal(
        callback_id=callback_id,
        title=TITLE,
        private_metadata=channel_id,
        blocks=[
            input_block("outcome", "Outcome", outcomes),
            input_block("deal", "Deal", text_input("DEAL-7")),
            input_block("competitor", "Competitor", text_input("Acme"), optional=True),
            input_block("amount", "Amount", text_input("48,000"), optional=True),
            input_block("campaign", "Campaign", text_input("Q3 webinar"), optional=True),
            input_block("reason", "Why?", text_input("Price was 30% higher", multiline=True)),
        ],
    )


def read_form(view: dict[str, Any]) -> dict[str, Any]:
    """The submitted form's values, as `build_result` keyword arguments."""
    form = Submission.of(view)
    return {
        "outcome": form.choice("outcome"),
        "deal_ref": form.value("deal"),
        "competitor": form.value("competitor") or None,
        "amount": form.value("amount") or None,
        "campaign": form.value("campaign") or None,
        "reason": form.value("reason"),
    }


def confirmation(result: NewResult, *, replaced: str | None) -> str:
    """The ephemeral receipt for a stored report; says when it replaced an earlier one."""
    verb = "won" if result.outcome == "win" else "lost"
    parts = [f"Saved: *{escape(result.deal_ref)}* {verb}"]
    if result.competitor:
        parts.append(
            f" {'against' if result.outcome == 'win' else 'to'} {escape(result.competitor)}"
        )
    if result.amount is not None:
        parts.append(f", amount {format_money(result.amount, result.currency)}")
    if result.campaign:
        parts.append(f", campaign {escape(result.campaign)}")
    parts.append(".")
    if replaced is not None:
        parts.append(f" This replaces the earlier report of this deal (a {replaced}).")
    return "".join(parts)
