"""Retention: deleting records older than TANDEM_RETENTION_DAYS, a batch at a time.

What goes, by the instant that dates it: lead ratings, handoffs (with their post
bookkeeping), intel, deals, collateral (with every vote on it) and votes, and Tandem's own
bookkeeping — receipts of handled requests, reminder deliveries of past meetings, and
outbound events already delivered or given up. What stays, whatever its age: glossary terms,
meeting cadences and the handoff setup (how the workspace works, not records of it), and
events still waiting to be delivered.

Each batch is its own short transaction, so the app's writes never wait long behind it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlmodel import col

from storage.db import session_scope
from storage.models import (
    Collateral,
    CollateralVote,
    Delivery,
    Handoff,
    HandoffPost,
    IntelPost,
    LeadRating,
    OutboxEvent,
    Receipt,
    WinLoss,
)
from storage.outbox import DELIVERED, FAILED

BATCH = 1_000


@dataclass(frozen=True)
class Rule:
    """Rows of `model` older than the cutoff by `dated`; `children` go first, by foreign key."""

    name: str
    model: Any
    dated: str
    children: tuple[tuple[Any, str], ...] = ()  # (model, its column pointing at model.id)
    only: Callable[[], Any] | None = None  # a further condition


RULES: tuple[Rule, ...] = (
    Rule("lead ratings", LeadRating, "rated_at"),
    Rule("handoffs", Handoff, "received_at", children=((HandoffPost, "handoff_id"),)),
    Rule("intel", IntelPost, "created_at"),
    Rule("deals", WinLoss, "reported_at"),
    Rule("collateral votes", CollateralVote, "voted_at"),
    Rule("collateral", Collateral, "created_at", children=((CollateralVote, "collateral_id"),)),
    Rule("receipts", Receipt, "created_at"),
    Rule("reminder deliveries", Delivery, "occurrence"),
    Rule(
        "settled events",
        OutboxEvent,
        "created_at",
        only=lambda: col(OutboxEvent.status).in_((DELIVERED, FAILED)),
    ),
)


def purge(*, engine: Engine, before: datetime, batch: int = BATCH) -> dict[str, int]:
    """Delete every record dated before `before`; how many of each kind went (kinds with
    none are left out)."""
    deleted: dict[str, int] = {}
    for rule in RULES:
        count = sum(_batches(engine, rule, before, batch))
        if count:
            deleted[rule.name] = count
    return deleted


def _batches(engine: Engine, rule: Rule, before: datetime, batch: int) -> Iterator[int]:
    model = rule.model
    old = [col(getattr(model, rule.dated)) < before]
    if rule.only is not None:
        old.append(rule.only())
    while True:
        with session_scope(engine) as session:
            ids = list(
                session.scalars(
                    select(col(model.id)).where(*old).order_by(col(model.id)).limit(batch)
                )
            )
            if not ids:
                return
            for child, column in rule.children:
                session.execute(delete(child).where(col(getattr(child, column)).in_(ids)))
            session.execute(delete(model).where(col(model.id).in_(ids)))
        yield len(ids)
        if len(ids) < batch:
            return
