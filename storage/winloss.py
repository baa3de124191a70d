"""Win/loss reports: one per deal, and what they add up to, in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Numeric, case, func, select, type_coerce
from sqlmodel import Session, col

from storage.competitors import (
    competitor_key,
    competitor_name,
    resolved,
    shown_name,
    spelling,
)
from storage.models import WinLoss


class Outcome(StrEnum):
    """How a reported deal ended, as stored in `WinLoss.outcome`."""

    WIN = "win"
    LOSS = "loss"


@dataclass(frozen=True)
class NewResult:
    outcome: str  # an Outcome: "win" or "loss"
    deal_ref: str
    competitor: str | None
    amount: Decimal | None
    campaign: str | None
    reason: str
    currency: str | None = None  # ISO 4217 ("USD"), as the report gave it; None: not said


Sums = tuple[tuple[str | None, Decimal], ...]  # (currency, amount), largest first


@dataclass(frozen=True)
class WinLossSummary:
    wins: int
    losses: int
    win_rate: float | None  # wins / (wins + losses); None without any result
    amount_won: Decimal  # all currencies together: for ordering, not for showing
    amount_lost: Decimal
    won: Sums = ()  # the amounts won, by currency
    lost: Sums = ()


def save_result(
    *, session: Session, team_id: str, user_id: str, result: NewResult, now: datetime
) -> str | None:
    """Store the report; a deal reported again replaces the earlier report.

    Returns the outcome of the report that was replaced, or None for a new deal.
    """
    key = result.deal_ref.casefold()
    existing = session.scalars(
        select(WinLoss).where(col(WinLoss.team_id) == team_id, col(WinLoss.deal_key) == key)
    ).first()
    fields: dict[str, Any] = {
        "outcome": result.outcome,
        "deal_ref": result.deal_ref,
        "competitor": competitor_name(result.competitor) if result.competitor else None,
        "competitor_key": competitor_key(result.competitor) if result.competitor else None,
        "amount": result.amount,
        "currency": result.currency if result.amount is not None else None,
        "campaign": result.campaign,
        "reason": result.reason,
        "user_id": user_id,
        "reported_at": now,
    }
    if existing is None:
        session.add(WinLoss(team_id=team_id, deal_key=key, **fields))
        session.flush()
        return None
    earlier = existing.outcome
    existing.sqlmodel_update(fields)
    session.add(existing)
    session.flush()
    return earlier


def _period(team_id: str, since: datetime, until: datetime) -> tuple[Any, ...]:
    return (
        col(WinLoss.team_id) == team_id,
        col(WinLoss.reported_at) >= since,
        col(WinLoss.reported_at) < until,
    )


def winloss_summary(
    *, session: Session, team_id: str, since: datetime, until: datetime
) -> WinLossSummary:
    """Wins, losses, win rate and the amounts on each side for a period."""
    outcome = col(WinLoss.outcome)
    amount = type_coerce(func.coalesce(col(WinLoss.amount), 0), Numeric(14, 2))

    def sum_when(value: str, what: Any) -> Any:
        return func.coalesce(func.sum(case((outcome == value, what), else_=0)), 0)

    row = session.execute(
        select(
            sum_when(Outcome.WIN, 1),
            sum_when(Outcome.LOSS, 1),
            type_coerce(sum_when(Outcome.WIN, amount), Numeric(14, 2)),
            type_coerce(sum_when(Outcome.LOSS, amount), Numeric(14, 2)),
        ).where(*_period(team_id, since, until))
    ).one()
    wins, losses = int(row[0]), int(row[1])
    decided = wins + losses
    total = type_coerce(func.sum(col(WinLoss.amount)), Numeric(14, 2))
    by_currency = session.execute(
        select(outcome, col(WinLoss.currency), total)
        .where(*_period(team_id, since, until), col(WinLoss.amount).is_not(None))
        .group_by(outcome, col(WinLoss.currency))
        .order_by(total.desc(), col(WinLoss.currency))
    ).all()

    def sums(side: str) -> Sums:
        cents = Decimal("0.01")
        return tuple((c, Decimal(s).quantize(cents)) for o, c, s in by_currency if o == side)

    return WinLossSummary(
        wins=wins,
        losses=losses,
        win_rate=wins / decided if decided else None,
        amount_won=Decimal(row[2]).quantize(Decimal("0.01")),
        amount_lost=Decimal(row[3]).quantize(Decimal("0.01")),
        won=sums(Outcome.WIN),
        lost=sums(Outcome.LOSS),
    )


def _losses_by(
    *,
    session: Session,
    team_id: str,
    since: datetime,
    until: datetime,
    column: Any,
    shown: Any,
    limit: int,
) -> list[tuple[str, int]]:
    count = func.count().label("n")
    rows = session.execute(
        select(func.max(shown), count)
        .where(
            *_period(team_id, since, until),
            col(WinLoss.outcome) == Outcome.LOSS,
            column.is_not(None),
        )
        .group_by(column)
        .order_by(count.desc(), column)
        .limit(limit)
    ).all()
    return [(name, int(n)) for name, n in rows]


def top_loss_reasons(
    *, session: Session, team_id: str, since: datetime, until: datetime, limit: int = 5
) -> list[tuple[str, int]]:
    """The reasons deals were lost in a period (same words, any case), most common first."""
    reason = col(WinLoss.reason)
    return _losses_by(
        session=session,
        team_id=team_id,
        since=since,
        until=until,
        column=func.lower(reason),
        shown=reason,
        limit=limit,
    )


def loss_competitors(
    *, session: Session, team_id: str, since: datetime, until: datetime, limit: int = 10
) -> list[tuple[str, int]]:
    """The competitors deals were lost to in a period, most losses first (aliases joined)."""
    alias, on, key = resolved(col(WinLoss.team_id), col(WinLoss.competitor_key))
    count = func.count().label("n")
    card, card_on, name = shown_name(team_id, key, spelling(alias, col(WinLoss.competitor)))
    rows = session.execute(
        select(name, count)
        .select_from(WinLoss)
        .outerjoin(alias, on)
        .outerjoin(card, card_on)
        .where(
            *_period(team_id, since, until),
            col(WinLoss.outcome) == Outcome.LOSS,
            col(WinLoss.competitor_key).is_not(None),
        )
        .group_by(key)
        .order_by(count.desc(), key)
        .limit(limit)
    ).all()
    return [(name, int(n)) for name, n in rows]
