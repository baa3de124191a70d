"""What `/winloss` and its form accept, as pure functions."""

from __future__ import annotations

import re
from decimal import Decimal

from core.money import SIGNS
from core.text import TextError, escape, parse_command
from handlers.common import InputError, check_lengths, text_or_none
from storage import limits
from storage.winloss import NewResult

# The words a report may start with, and the outcome each stands for.
OUTCOMES = {"win": "win", "won": "win", "loss": "loss", "lost": "loss"}
_SIGN = "".join(SIGNS)
_AMOUNT = re.compile(
    rf"(?:(?P<sign>[{_SIGN}])|(?P<code>[A-Za-z]{{3}})\s?)?"
    r"(?P<number>\d{1,3}(?:,\d{3})+|\d+)(?P<cents>\.\d{1,2})?"
    rf"(?:(?P<sign_after>[{_SIGN}])|\s?(?P<code_after>[A-Za-z]{{3}}))?"
)
# ISO 4217 codes taken after or before the number (`48000 CHF`); signs are in core.money.
CODES = frozenset(
    [
        "USD",
        "EUR",
        "GBP",
        "JPY",
        "CHF",
        "CAD",
        "AUD",
        "NZD",
        "SEK",
        "NOK",
        "DKK",
        "PLN",
        "CZK",
        "HUF",
        "INR",
        "CNY",
        "HKD",
        "SGD",
        "BRL",
        "MXN",
        "ZAR",
    ]
)
_MAX_AMOUNT = Decimal("999999999999.99")  # what Numeric(14, 2) holds
LIMITS = {
    "deal": limits.REFERENCE,
    "competitor": limits.NAME,
    "campaign": limits.NAME,
    "reason": limits.REASON,
}


class ResultError(InputError):
    """A report that cannot be stored; `field` names the part that is wrong."""


def parse_money(text: str) -> tuple[Decimal, str | None]:
    """`48000`, `$48,000`, `€1,200.50` or `48000 CHF` → (amount, ISO currency or None);
    raises ResultError."""
    match = _AMOUNT.fullmatch(text.strip())
    if match is None:
        raise ResultError(
            f"amount: takes a number, like `48000` or `$48,000`, not “{escape(text)}”.",
            field="amount",
        )
    value = Decimal(match["number"].replace(",", "") + (match["cents"] or ""))
    if value > _MAX_AMOUNT:
        raise ResultError("That amount is too large to be a deal.", field="amount")
    signs = [SIGNS[s] for s in (match["sign"], match["sign_after"]) if s]
    codes = [c.upper() for c in (match["code"], match["code_after"]) if c]
    unknown = [code for code in codes if code not in CODES]
    if unknown:
        raise ResultError(
            f"amount: “{escape(unknown[0])}” is not a currency Tandem knows; use a sign "
            f"({', '.join(SIGNS)}) or a code such as EUR or CHF.",
            field="amount",
        )
    currencies = set(signs + codes)
    if len(currencies) > 1:
        raise ResultError("amount: give one currency, not two.", field="amount")
    return value, currencies.pop() if currencies else None


def parse_amount(text: str) -> Decimal:
    """The number of `parse_money`, without its currency."""
    return parse_money(text)[0]


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
    money = parse_money(amount) if amount and amount.strip() else None
    return NewResult(
        outcome=normal,
        deal_ref=deal_ref,
        competitor=text_or_none(competitor),
        amount=money[0] if money else None,
        campaign=text_or_none(campaign),
        reason=reason,
        currency=money[1] if money else None,
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
