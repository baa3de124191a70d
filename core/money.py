"""Deal amounts and their currencies, shown the same way by receipts and agendas."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

# The signs `/winloss` takes, and the ISO 4217 code each is kept as.
SIGNS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY"}
_SIGN_OF = {code: sign for sign, code in SIGNS.items()}


def format_money(amount: Decimal, currency: str | None) -> str:
    """`$48,000`, `€1,200.50`, `CHF 5,000`; without a currency, the number alone: `48,000`."""
    shown = f"{amount:,.2f}".removesuffix(".00")
    if currency is None:
        return shown
    sign = _SIGN_OF.get(currency)
    return f"{sign}{shown}" if sign else f"{currency} {shown}"


def format_sums(sums: Sequence[tuple[str | None, Decimal]]) -> str:
    """Amounts in several currencies, never added across them: `$84,500 + €1,200.50`."""
    if not sums:
        return "0"
    return " + ".join(format_money(amount, currency) for currency, amount in sums)
