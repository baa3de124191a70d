"""What `/winloss` and its form accept, as pure functions."""

from __future__ import annotations

import re
from decimal import Decimal

from core.text import TextError, escape, parse_command
from handlers.common import InputError, check_lengths, text_or_none
from storage import limits
from storage.winloss import NewResult

# The words a report may start with, and the outcome each stands for.
OUTCOMES = {"win": "win", "won": "win", "loss": "loss", "lost": "loss"}
_SIGN = "$€£¥"
_AMOUNT = re.compile(rf"[{_SIGN}]?(\d{{1,3}}(?:,\d{{3}})+|\d+)(\.\d{{1,2}})?[{_SIGN}]?")
_MAX_AMOUNT = Decimal("999999999999.99")  # what Numeric(14, 2) holds
LIMITS = {
    "deal": limits.REFERENCE,
    "competitor": limits.NAME,
    "campaign": limits.NAME,
    "reason": limits.REASON,
}


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
    check_lengths(ResultError, LIMITS, texts)
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
