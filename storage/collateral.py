"""Collateral: items marketing announces, the votes reps cast on them, and their sums in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, case, delete, exists, func, select
from sqlmodel import Session, col

from storage import limits
from storage.db import on_conflict_insert
from storage.models import Collateral, CollateralVote
from storage.receipts import claim_receipt, release_receipt


class Vote(StrEnum):
    """A rep's verdict on an item, as stored in `CollateralVote.vote`."""

    HELPFUL = "helpful"
    NOT_HELPFUL = "not_helpful"
    USED = "used"


VOTES = tuple(Vote)  # in the order buttons and counts show them


@dataclass(frozen=True)
class NewCollateral:
    url: str
    title: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class CollateralScore:
    id: int
    title: str
    url: str
    helpful: int
    not_helpful: int
    used: int


@dataclass(frozen=True)
class Announced:
    """An item with its vote counts, as its channel announcement shows it."""

    id: int
    title: str
    url: str
    tags: tuple[str, ...]
    author_id: str
    channel_id: str | None
    message_ts: str | None
    counts: dict[str, int]


@dataclass(frozen=True)
class VoteResult:
    item: Announced
    vote: str
    previous: str | None


def tags_of(item: Collateral) -> tuple[str, ...]:
    return tuple(item.tags.split())


def save_collateral(
    *,
    session: Session,
    team_id: str,
    user_id: str,
    item: NewCollateral,
    channel_id: str,
    now: datetime,
    receipt: str | None = None,
) -> int | None:
    """Store a new item; with `receipt`, None if that request was already acted on."""
    if receipt is not None and not claim_receipt(
        session=session, team_id=team_id, key=receipt, now=now
    ):
        return None
    # Spaces around every tag, so `LIKE '% tag %'` finds whole tags only.
    tags = f" {' '.join(item.tags)} " if item.tags else ""
    row = Collateral(
        team_id=team_id,
        url=item.url,
        title=item.title,
        tags=tags,
        author_id=user_id,
        channel_id=channel_id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


def record_announcement(
    *, session: Session, team_id: str, collateral_id: int, channel_id: str, message_ts: str
) -> None:
    """Remember where the item was announced, so votes can update that message."""
    row = session.get(Collateral, collateral_id)
    if row is not None and row.team_id == team_id:
        row.channel_id, row.message_ts = channel_id, message_ts
        session.add(row)


def discard_collateral(
    *, session: Session, team_id: str, collateral_id: int, receipt: str | None = None
) -> None:
    """Take back an item that could not be announced (and its receipt, so it can be retried)."""
    session.execute(
        delete(Collateral).where(
            col(Collateral.id) == collateral_id, col(Collateral.team_id) == team_id
        )
    )
    if receipt is not None:
        release_receipt(session=session, team_id=team_id, key=receipt)


def _counts(session: Session, collateral_id: int) -> dict[str, int]:
    rows = session.execute(
        select(col(CollateralVote.vote), func.count())
        .where(col(CollateralVote.collateral_id) == collateral_id)
        .group_by(col(CollateralVote.vote))
    ).all()
    found = {vote: int(count) for vote, count in rows}
    return {vote: found.get(vote, 0) for vote in VOTES}


def _announced(session: Session, row: Collateral) -> Announced:
    assert row.id is not None
    return Announced(
        id=row.id,
        title=row.title,
        url=row.url,
        tags=tags_of(row),
        author_id=row.author_id,
        channel_id=row.channel_id,
        message_ts=row.message_ts,
        counts=_counts(session, row.id),
    )


def cast_vote(
    *,
    session: Session,
    team_id: str,
    collateral_id: int,
    user_id: str,
    vote: str,
    now: datetime,
) -> VoteResult | None:
    """One vote per person per item: a new vote replaces theirs; None if no such item here."""
    if vote not in VOTES:
        raise ValueError(f"unknown vote {vote!r}")
    row = session.get(Collateral, collateral_id)
    if row is None or row.team_id != team_id:
        return None
    previous = session.scalars(
        select(col(CollateralVote.vote)).where(
            col(CollateralVote.collateral_id) == collateral_id,
            col(CollateralVote.user_id) == user_id,
        )
    ).first()
    if previous != vote:
        # An upsert, so a click racing another process's still ends as one row.
        statement = on_conflict_insert(session)(CollateralVote).values(
            team_id=team_id, collateral_id=collateral_id, user_id=user_id, vote=vote, voted_at=now
        )
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["collateral_id", "user_id"],
                set_={"vote": statement.excluded.vote, "voted_at": statement.excluded.voted_at},
            )
        )
    return VoteResult(item=_announced(session, row), vote=vote, previous=previous)


def find_collateral(
    *, session: Session, team_id: str, words: Sequence[str], tags: Sequence[str], limit: int = 20
) -> list[tuple[Collateral, dict[str, int]]]:
    """Items whose title has every word and whose tags include every tag, newest first."""
    conditions: list[ColumnElement[bool]] = [col(Collateral.team_id) == team_id]
    # Bounded here too, whoever calls: each word is one more LIKE pattern to match.
    for word in words[: limits.SEARCH_WORDS]:
        pattern = _contains(word[: limits.SEARCH_WORD])
        conditions.append(func.lower(col(Collateral.title)).like(pattern, escape="\\"))
    for tag in tags[: limits.SEARCH_WORDS]:
        conditions.append(col(Collateral.tags).like(f"% {_like(tag.lower())} %", escape="\\"))
    rows = session.execute(
        select(Collateral, *(tally(vote).label(vote) for vote in VOTES))
        .outerjoin(CollateralVote, col(CollateralVote.collateral_id) == col(Collateral.id))
        .where(*conditions)
        .group_by(col(Collateral.id))
        .order_by(col(Collateral.created_at).desc(), col(Collateral.id).desc())
        .limit(limit)
    ).all()
    return [(row[0], {vote: int(row._mapping[vote] or 0) for vote in VOTES}) for row in rows]


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(word: str) -> str:
    return f"%{_like(word.lower())}%"


def new_collateral(
    *, session: Session, team_id: str, since: datetime, until: datetime, limit: int = 20
) -> Sequence[Collateral]:
    """Items announced in the period, newest first."""
    return session.scalars(
        select(Collateral)
        .where(
            col(Collateral.team_id) == team_id,
            col(Collateral.created_at) >= since,
            col(Collateral.created_at) < until,
        )
        .order_by(col(Collateral.created_at).desc(), col(Collateral.id).desc())
        .limit(limit)
    ).all()


def tally(vote: str) -> Any:
    """How many of the joined votes are `vote` (0 for an item an outer join found none for)."""
    return func.sum(case((col(CollateralVote.vote) == vote, 1), else_=0))


def collateral_ranking(
    *, session: Session, team_id: str, since: datetime, until: datetime, limit: int = 10
) -> list[CollateralScore]:
    """Items by the votes cast on them in the period, most helpful first."""
    return scores(
        session,
        col(Collateral.team_id) == team_id,
        col(CollateralVote.team_id) == team_id,
        col(CollateralVote.voted_at) >= since,
        col(CollateralVote.voted_at) < until,
        limit=limit,
    )


def scores(
    session: Session, *where: Any, limit: int, unvoted: bool = False
) -> list[CollateralScore]:
    """The items `where` keeps, with their tallies of the votes it keeps, most helpful first;
    `unvoted` keeps items with no such vote too (all tallies 0)."""
    helpful, not_helpful, used = (tally(vote) for vote in VOTES)
    rows = session.execute(
        select(
            col(Collateral.id),
            col(Collateral.title),
            col(Collateral.url),
            helpful.label("helpful"),
            not_helpful.label("not_helpful"),
            used.label("used"),
        )
        .join(
            CollateralVote,
            col(CollateralVote.collateral_id) == col(Collateral.id),
            isouter=unvoted,
        )
        .where(*where)
        .group_by(col(Collateral.id), col(Collateral.title), col(Collateral.url))
        .order_by(helpful.desc(), used.desc(), not_helpful.asc(), col(Collateral.id).desc())
        .limit(limit)
    ).all()
    return [
        CollateralScore(
            id=row.id,
            title=row.title,
            url=row.url,
            helpful=int(row.helpful or 0),
            not_helpful=int(row.not_helpful or 0),
            used=int(row.used or 0),
        )
        for row in rows
    ]


def unvoted_collateral(
    *, session: Session, team_id: str, since: datetime, until: datetime, limit: int = 20
) -> Sequence[Collateral]:
    """Items that existed by `until` and got no vote at all in the period, newest first."""
    voted = exists().where(
        and_(
            col(CollateralVote.collateral_id) == col(Collateral.id),
            col(CollateralVote.voted_at) >= since,
            col(CollateralVote.voted_at) < until,
        )
    )
    return session.scalars(
        select(Collateral)
        .where(col(Collateral.team_id) == team_id, col(Collateral.created_at) < until, ~voted)
        .order_by(col(Collateral.created_at).desc(), col(Collateral.id).desc())
        .limit(limit)
    ).all()
