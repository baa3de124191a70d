"""What `/tandem export` sends: each kind of record as rows, streamed in batches.

On PostgreSQL the rows come through a server-side cursor (`stream_results`), so neither the
database driver nor Python holds more than one batch at a time, whatever the table's size.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlmodel import Session, col

from storage.collateral import VOTES
from storage.models import (
    Cadence,
    Collateral,
    CollateralVote,
    GlossaryTerm,
    Handoff,
    IntelPost,
    LeadRating,
    WinLoss,
)

BATCH = 5_000


@dataclass(frozen=True)
class Kind:
    """One file of the export: its name, and each column's header and value."""

    name: str  # the file's name without `.csv`
    title: str  # what the file holds, for people
    fields: tuple[tuple[str, Any], ...]  # (header, column)
    team: Any  # the column holding the workspace
    time: Any  # the column that `days:` bounds; None: every row, whatever its age
    order: Any
    source: Any = None  # what to select from, when the columns alone do not say

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(header for header, _ in self.fields)

    def query(self) -> Select[Any]:
        query: Select[Any] = select(*(column for _, column in self.fields))
        return query if self.source is None else query.select_from(self.source)


def _fields(model: Any, *names: str) -> tuple[tuple[str, Any], ...]:
    """Columns of `model` exported under their own names, or `header=attribute`."""
    pairs = (name.partition("=") for name in names)
    return tuple((header, col(getattr(model, attr or header))) for header, _, attr in pairs)


def _tally(vote: str) -> ColumnElement[Any]:
    return func.sum(case((col(CollateralVote.vote) == vote, 1), else_=0)).label(vote)


def _kinds() -> tuple[Kind, ...]:
    votes = (
        select(col(CollateralVote.collateral_id).label("item"), *(_tally(v) for v in VOTES))
        .group_by(col(CollateralVote.collateral_id))
        .subquery()
    )
    r, h, i, d, c, g, m = (
        LeadRating,
        Handoff,
        IntelPost,
        WinLoss,
        Collateral,
        GlossaryTerm,
        Cadence,
    )
    return (
        Kind(
            "lead_ratings",
            "lead ratings",
            _fields(r, "lead=lead_ref", "rated_by=user_id", "score", "campaign", "segment")
            + _fields(r, "budget", "authority", "need", "timing", "reason", "rated_at"),
            col(r.team_id),
            col(r.rated_at),
            col(r.id),
        ),
        Kind(
            "handoffs",
            "lead handoffs",
            _fields(h, "id", "lead=lead_ref", "name", "company", "email", "campaign", "segment")
            + _fields(h, "marketing_score=score", "crm_url=url", "notes", "channel=channel_id")
            + _fields(h, "sla_minutes", "received_at", "due_at", "status", "decided_by")
            + _fields(h, "decided_at", "accept_seconds", "rejection_reason=reason", "unmet"),
            col(h.team_id),
            col(h.received_at),
            col(h.id),
        ),
        Kind(
            "intel",
            "field intel",
            _fields(i, "id", "kind", "subject", "text", "author=author_id", "posted_by")
            + _fields(i, "channel=channel_id", "permalink", "created_at"),
            col(i.team_id),
            col(i.created_at),
            col(i.id),
        ),
        Kind(
            "deals",
            "won and lost deals",
            _fields(d, "deal=deal_ref", "outcome", "competitor", "amount", "campaign", "reason")
            + _fields(d, "reported_by=user_id", "reported_at"),
            col(d.team_id),
            col(d.reported_at),
            col(d.id),
        ),
        Kind(
            "collateral",
            "collateral with votes",
            _fields(c, "id", "title", "url", "tags", "shared_by=author_id", "channel=channel_id")
            + _fields(c, "created_at")
            + tuple((f"votes_{v}", func.coalesce(votes.c[v.value], 0)) for v in VOTES),
            col(c.team_id),
            col(c.created_at),
            col(c.id),
            source=c.__table__.outerjoin(votes, votes.c.item == col(c.id)),  # type: ignore[attr-defined]
        ),
        Kind(
            "glossary",
            "glossary terms",
            _fields(g, "term", "definition", "updated_by", "updated_at"),
            col(g.team_id),
            col(g.updated_at),
            col(g.term_key),
        ),
        Kind(
            "cadences",
            "meeting cadences",
            _fields(m, "meeting=kind", "channel=channel_id", "day_rule", "time=at_time")
            + _fields(m, "time_zone=zone", "agenda_minutes_before=agenda_lead_minutes")
            + _fields(m, "months", "active", "set_by", "updated_at"),
            col(m.team_id),
            None,  # how meetings are set up, not records in time: always all of them
            col(m.kind),
        ),
    )


KINDS: tuple[Kind, ...] = _kinds()


def export_rows(
    *,
    session: Session,
    kind: Kind,
    team_id: str,
    since: datetime | None = None,
    batch: int = BATCH,
) -> Iterator[Sequence[tuple[Any, ...]]]:
    """The workspace's rows of `kind` (made or changed since `since`, if given), oldest first,
    in batches of at most `batch`, in the order they were stored; values as the database
    gives them.

    The iterator holds the session's connection until it is exhausted or closed.
    """
    query = kind.query().where(kind.team == team_id)
    if since is not None and kind.time is not None:
        query = query.where(kind.time >= since)
    query = query.order_by(kind.order).execution_options(stream_results=True, yield_per=batch)
    result = session.execute(query)
    try:
        for part in result.partitions():
            yield [tuple(row) for row in part]
    finally:
        result.close()
