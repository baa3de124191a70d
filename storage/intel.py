"""Field intelligence: saving posts, searching them, and summing them up in SQL."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import column, func, select, table, text
from sqlmodel import Session, col

from storage import limits
from storage.competitors import (
    competitor_key,
    competitor_name,
    resolved,
    shown_name,
    spelling,
)
from storage.models import IntelPost
from storage.receipts import claim_receipt


class IntelKind(StrEnum):
    """What a post is about, as stored in `IntelPost.kind`."""

    COMPETITOR = "competitor"
    CUSTOMER = "customer"
    PROSPECT = "prospect"
    MARKET = "market"


KINDS = tuple(IntelKind)  # in the order commands, forms and charts list them
# The FTS5 shadow table the migration keeps in step with intel_post (SQLite only).
_FTS = table("intel_fts", column("rowid"))
# The very expression of the GIN index ix_intel_post_fts, so PostgreSQL can use it.
_PG_MATCH = text(
    "to_tsvector('english', coalesce(intel_post.subject, '') || ' ' || intel_post.text) "
    "@@ plainto_tsquery('english', :q)"
)
_WORDLIKE = re.compile(r"\w")


@dataclass(frozen=True)
class NewIntel:
    kind: str
    subject: str | None
    text: str


@dataclass(frozen=True)
class CompetitorMentions:
    key: str  # storage.competitors.competitor_key, aliases resolved
    name: str
    count: int
    authors: tuple[str, ...]  # user ids, most posts first


def save_intel(
    *,
    session: Session,
    team_id: str,
    intel: NewIntel,
    author_id: str,
    posted_by: str,
    now: datetime,
    channel_id: str | None = None,
    permalink: str | None = None,
    receipt: str | None = None,
) -> bool:
    """Store a post; with a `receipt` key already used, store nothing and return False."""
    if receipt is not None and not claim_receipt(
        session=session, team_id=team_id, key=receipt, now=now
    ):
        return False
    subject, key = intel.subject, intel.subject.casefold() if intel.subject else None
    if subject and intel.kind == IntelKind.COMPETITOR:
        subject, key = competitor_name(subject), competitor_key(subject)
    session.add(
        IntelPost(
            team_id=team_id,
            kind=intel.kind,
            subject=subject,
            subject_key=key,
            text=intel.text,
            author_id=author_id,
            posted_by=posted_by,
            channel_id=channel_id,
            permalink=permalink,
            created_at=now,
        )
    )
    session.flush()
    return True


def search_terms(words: Sequence[str]) -> list[str]:
    """The words worth searching for: those with a letter or digit in them."""
    return [word for word in words if _WORDLIKE.search(word)]


def fts5_query(words: Sequence[str]) -> str:
    """An FTS5 query matching all `words`, each quoted so no input is FTS syntax."""
    return " ".join('"' + word.replace('"', '""') + '"' for word in search_terms(words))


def search_intel(
    *, session: Session, team_id: str, words: Sequence[str], limit: int = 20
) -> Sequence[IntelPost]:
    """Posts containing every word (stemmed), newest first, by the database's text search."""
    # Bounded here too, whoever calls: each term is one more condition of the query.
    terms = [term[: limits.SEARCH_WORD] for term in search_terms(words)][: limits.SEARCH_WORDS]
    if not terms:
        return []
    query = select(IntelPost).where(col(IntelPost.team_id) == team_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.where(_PG_MATCH.bindparams(q=" ".join(terms)))
    else:
        query = query.join(_FTS, _FTS.c.rowid == IntelPost.id).where(
            text("intel_fts MATCH :q").bindparams(q=fts5_query(terms))
        )
    query = query.order_by(col(IntelPost.created_at).desc(), col(IntelPost.id).desc())
    return session.scalars(query.limit(limit)).all()


def recent_intel(
    *, session: Session, team_id: str, since: datetime, until: datetime, limit: int
) -> Sequence[IntelPost]:
    """The latest posts of a period, newest first."""
    return session.scalars(
        select(IntelPost)
        .where(
            col(IntelPost.team_id) == team_id,
            col(IntelPost.created_at) >= since,
            col(IntelPost.created_at) < until,
        )
        .order_by(col(IntelPost.created_at).desc(), col(IntelPost.id).desc())
        .limit(limit)
    ).all()


def intel_by_kind(
    *, session: Session, team_id: str, since: datetime, until: datetime
) -> dict[str, int]:
    """How many posts of each kind a period saw (kinds without posts are left out)."""
    rows = session.execute(
        select(col(IntelPost.kind), func.count())
        .where(
            col(IntelPost.team_id) == team_id,
            col(IntelPost.created_at) >= since,
            col(IntelPost.created_at) < until,
        )
        .group_by(col(IntelPost.kind))
    ).all()
    return {kind: int(count) for kind, count in rows}


def intel_by_competitor(
    *, session: Session, team_id: str, since: datetime, until: datetime, limit: int = 10
) -> list[CompetitorMentions]:
    """Competitors mentioned in a period, most-mentioned first, with who mentioned them.

    Spellings joined by `/competitor alias` count as one competitor.
    """
    alias, on, key = resolved(col(IntelPost.team_id), col(IntelPost.subject_key))
    scope = (
        col(IntelPost.team_id) == team_id,
        col(IntelPost.kind) == IntelKind.COMPETITOR,
        col(IntelPost.subject_key).is_not(None),
        col(IntelPost.created_at) >= since,
        col(IntelPost.created_at) < until,
    )
    mentions = func.count().label("mentions")
    card, card_on, name = shown_name(team_id, key, spelling(alias, col(IntelPost.subject)))
    top = session.execute(
        select(key, name, mentions)
        .select_from(IntelPost)
        .outerjoin(alias, on)
        .outerjoin(card, card_on)
        .where(*scope)
        .group_by(key)
        .order_by(mentions.desc(), key)
        .limit(limit)
    ).all()
    if not top:
        return []
    posts = func.count().label("posts")
    by_author = session.execute(
        select(key, col(IntelPost.author_id), posts)
        .select_from(IntelPost)
        .outerjoin(alias, on)
        .where(*scope, key.in_([row[0] for row in top]))
        .group_by(key, col(IntelPost.author_id))
        .order_by(key, posts.desc(), col(IntelPost.author_id))
    ).all()
    authors: dict[str, list[str]] = {}
    for subject_key, author_id, _count in by_author:
        authors.setdefault(subject_key, []).append(author_id)
    return [
        CompetitorMentions(key=k, name=name, count=int(count), authors=tuple(authors.get(k, ())))
        for k, name, count in top
    ]
