"""Lead ratings: saving a rep's verdict and summing them up in SQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, literal_column, select, tuple_
from sqlmodel import Session, col

from storage.db import on_conflict_insert
from storage.models import Handoff, LeadRating
from storage.outbox import add_event, stamp

CRITERIA = ("budget", "authority", "need", "timing")


@dataclass(frozen=True)
class NewRating:
    lead_ref: str
    score: int
    campaign: str | None
    segment: str | None
    criteria: Mapping[str, bool]
    reason: str


@dataclass(frozen=True)
class RatingWrite:
    """Who rated, where and when: one item of a batch for `save_ratings`."""

    team_id: str
    user_id: str
    rating: NewRating
    now: datetime
    report: bool = True  # tell the receiver when the lead was handed over (storage.outbox)


def save_ratings(session: Session, writes: Sequence[RatingWrite]) -> list[bool]:
    """Store a batch of ratings as one upsert; for each, whether it replaced an earlier one.

    A rep's second rating of a lead replaces the first, also within one batch.
    """
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    replaced_in_batch: list[bool] = []
    for write in writes:
        key = (write.team_id, write.rating.lead_ref.casefold(), write.user_id)
        replaced_in_batch.append(key in rows)
        rows[key] = _row(write, lead_key=key[1])
    existed, handed = _upsert(session, list(rows.values()))
    _report_handed_over(session, [w for w in writes if w.report], handed)
    return [
        again or existed[(w.team_id, w.rating.lead_ref.casefold(), w.user_id)]
        for w, again in zip(writes, replaced_in_batch, strict=True)
    ]


Key = tuple[str, str, str]  # (team, lead key, user)
# In RETURNING, `lead_rating` is the row just written (SQLAlchemy does not correlate there).
_HANDED_OVER: Any = literal_column(
    "EXISTS (SELECT 1 FROM handoff WHERE handoff.team_id = lead_rating.team_id "
    "AND handoff.lead_key = lead_rating.lead_key)"
)


def _upsert(session: Session, rows: list[dict[str, Any]]) -> tuple[dict[Key, bool], set[Key]]:
    """INSERT … ON CONFLICT DO UPDATE; which of the rows' keys were there before, and which
    rate a lead that came through a handoff."""
    table = LeadRating.__table__  # type: ignore[attr-defined]
    keys = [(row["team_id"], row["lead_key"], row["user_id"]) for row in rows]
    identity = (table.c.team_id, table.c.lead_key, table.c.user_id)
    statement = on_conflict_insert(session)(table)
    if session.get_bind().dialect.name == "postgresql":
        # xmax is 0 on a freshly inserted row version and set on an updated one; asking
        # here whether the lead was handed over saves a round trip per batch.
        returning: tuple[Any, ...] = (*identity, literal_column("xmax <> 0"), _HANDED_OVER)
        existed, handed = {}, set()
    else:
        returning = ()
        found = session.execute(select(*identity).where(tuple_(*identity).in_(keys)))
        existed = {tuple(row): True for row in found}
        team, lead = col(Handoff.team_id), col(Handoff.lead_key)
        leads = {(row_team, row_lead) for row_team, row_lead, _ in keys}
        earlier = session.execute(select(team, lead).where(tuple_(team, lead).in_(leads)))
        handed_leads = {tuple(row) for row in earlier}
        handed = {key for key in keys if key[:2] in handed_leads}
    statement = statement.on_conflict_do_update(
        index_elements=["team_id", "lead_key", "user_id"],
        set_={name: statement.excluded[name] for name in _UPDATED},
    )
    if returning:
        result = session.execute(statement.returning(*returning), rows)
        for row in result:
            existed[tuple(row[:3])] = bool(row[3])
            if row[4]:
                handed.add(tuple(row[:3]))
    else:
        session.execute(statement, rows)
    return {key: existed.get(key, False) for key in keys}, handed


def _report_handed_over(
    session: Session, writes: Sequence[RatingWrite], handed_keys: set[Key]
) -> None:
    """Queue a `lead.rated` event for each rating of a lead that came through a handoff."""
    keys = {
        (w.team_id, w.rating.lead_ref.casefold())
        for w in writes
        if (w.team_id, w.rating.lead_ref.casefold(), w.user_id) in handed_keys
    }
    if not keys:
        return
    # Locking the handoffs orders this event after an accept or rejection in flight
    # (which holds the same row), so a lead's events keep the order of its changes.
    found = session.execute(
        select(col(Handoff.team_id), col(Handoff.lead_key))
        .where(tuple_(col(Handoff.team_id), col(Handoff.lead_key)).in_(keys))
        .with_for_update()
    )
    handed = {(team, lead) for team, lead in found}
    for write in writes:
        lead_key = write.rating.lead_ref.casefold()
        if (write.team_id, lead_key) not in handed:
            continue
        rating = write.rating
        payload = {
            "type": "lead.rated",
            "lead": rating.lead_ref,
            "campaign": rating.campaign,
            "by": write.user_id,
            "at": stamp(write.now),
            "score": rating.score,
            "reason": rating.reason or None,
            "criteria": {name: rating.criteria.get(name) for name in CRITERIA},
        }
        add_event(
            session=session,
            team_id=write.team_id,
            lead_key=lead_key,
            payload=payload,
            now=write.now,
        )


_UPDATED = ("lead_ref", "score", "campaign", "segment", "reason", "rated_at", *CRITERIA)


def _row(write: RatingWrite, *, lead_key: str) -> dict[str, Any]:
    rating = write.rating
    return {
        "team_id": write.team_id,
        "lead_key": lead_key,
        "user_id": write.user_id,
        "lead_ref": rating.lead_ref,
        "score": rating.score,
        "campaign": rating.campaign,
        "segment": rating.segment,
        "reason": rating.reason,
        "rated_at": write.now,
        **{name: rating.criteria.get(name) for name in CRITERIA},
    }


@dataclass(frozen=True)
class RatingSummary:
    label: str | None  # the campaign, or None for the overall line / no campaign
    count: int
    average: float
    unmet: tuple[tuple[str, int], ...]  # criteria not met, most common first


@dataclass(frozen=True)
class LeadStats:
    overall: RatingSummary
    campaigns: tuple[RatingSummary, ...]  # most rated first


def _unmet(counts: Mapping[str, int]) -> tuple[tuple[str, int], ...]:
    ranked = sorted(((n, c) for n, c in counts.items() if c), key=lambda item: (-item[1], item[0]))
    return tuple(ranked)


def lead_stats(
    *,
    session: Session,
    team_id: str,
    since: datetime | None = None,
    until: datetime | None = None,
    campaign: str | None = None,
) -> LeadStats:
    """Count, average and unmet criteria, overall and per campaign, aggregated in SQL."""
    unmet_columns = [
        func.sum(case((col(getattr(LeadRating, name)).is_(False), 1), else_=0)).label(name)
        for name in CRITERIA
    ]
    campaign_key = func.lower(col(LeadRating.campaign))
    query = select(
        func.max(col(LeadRating.campaign)).label("campaign"),
        func.count().label("ratings"),
        func.sum(col(LeadRating.score)).label("total"),
        *unmet_columns,
    ).where(col(LeadRating.team_id) == team_id)
    if since is not None:
        query = query.where(col(LeadRating.rated_at) >= since)
    if until is not None:
        query = query.where(col(LeadRating.rated_at) < until)
    if campaign is not None:
        query = query.where(campaign_key == campaign.casefold())
    rows = session.execute(query.group_by(campaign_key)).all()

    campaigns = []
    totals = {"count": 0, "total": 0, **{name: 0 for name in CRITERIA}}
    for row in rows:
        values = row._mapping
        counts = {name: int(values[name] or 0) for name in CRITERIA}
        rated, total = int(values["ratings"]), int(values["total"])
        campaigns.append(
            RatingSummary(
                label=values["campaign"], count=rated, average=total / rated, unmet=_unmet(counts)
            )
        )
        totals["count"] += rated
        totals["total"] += total
        for name in CRITERIA:
            totals[name] += counts[name]
    count = totals["count"]
    overall = RatingSummary(
        label=None,
        count=count,
        average=totals["total"] / count if count else 0.0,
        unmet=_unmet({name: totals[name] for name in CRITERIA}),
    )
    campaigns.sort(key=lambda s: (-s.count, s.label is None, (s.label or "").casefold()))
    return LeadStats(overall=overall, campaigns=tuple(campaigns))
