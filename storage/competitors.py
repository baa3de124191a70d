"""Competitors: one key per name, aliases resolved when read, curated cards, and their sums in SQL.

A competitor is named in intel (`IntelPost.subject_key` of competitor posts), in deals
(`WinLoss.competitor_key`) and on its card. Every one of those columns holds
`competitor_key(name)`. An alias maps another key onto a competitor's key; queries
resolve it with an outer join on `competitor_alias`, so rows stored before the alias
count too and no stored row is ever rewritten.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Numeric,
    String,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from storage.collateral import CollateralScore, scores
from storage.db import on_conflict_insert
from storage.models import (
    Collateral,
    CompetitorAlias,
    CompetitorCard,
    IntelPost,
    WinLoss,
)

COMPETITOR = "competitor"  # IntelKind.COMPETITOR, without importing the intel module
_PREFIX = re.compile(r"^\s*competitor\s*:\s*", re.IGNORECASE)
CARD_FIELDS = ("why_win", "why_lose", "pitch", "answer")


def competitor_name(text: str) -> str:
    """A competitor's name as shown: blanks collapsed, without a leading `competitor:`
    (unless that is all there is)."""
    spaced = " ".join(text.split())
    return " ".join(_PREFIX.sub("", spaced).split()) or spaced


def competitor_key(text: str) -> str:
    """The one key a competitor's name is matched by, in every command, agenda and tab:
    case, spacing and a leading `competitor:` make no difference."""
    return competitor_name(text).casefold()


# Built once: aliasing a mapped class builds proxies of all its columns, which cost more CPU
# than the rest of an agenda's competitor queries. No query nests one of them in another.
_ALIAS = aliased(CompetitorAlias, name="alias_of")
_CARD = aliased(CompetitorCard, name="card_of")


def resolved(team: Any, key: Any) -> tuple[Any, Any, Any]:
    """(alias table, join condition, resolved key) for rows whose competitor key is `key`.

    Outer-join the alias table on the condition; the resolved key is the competitor the
    row's key is an alias of, or the row's own key.
    """
    alias = _ALIAS
    on = and_(col(alias.team_id) == team, col(alias.alias_key) == key)
    return alias, on, func.coalesce(col(alias.competitor_key), key)


def spelling(alias: Any, name: Any) -> Any:
    """The aggregate name of a group of rows by resolved key: a spelling stored under the
    competitor's own key, else any of its aliases'."""
    own = case((col(alias.competitor_key).is_(None), name))
    return func.coalesce(func.max(own), func.max(name))


def mentions(team_id: str, *, since: datetime | None = None, until: datetime | None = None) -> Any:
    """Every naming of a competitor in intel or deals (within [since, until) when given), as
    rows (key, name, own, at, intel, win, loss, author), the key resolved through aliases;
    `own` is the name where the row's key is the competitor's own, not an alias."""
    ialias, ion, ikey = resolved(col(IntelPost.team_id), col(IntelPost.subject_key))
    intel: Any = (
        select(
            ikey.label("key"),
            col(IntelPost.subject).label("name"),
            case((col(ialias.competitor_key).is_(None), col(IntelPost.subject))).label("own"),
            col(IntelPost.created_at).label("at"),
            literal(1).label("intel"),
            literal(0).label("win"),
            literal(0).label("loss"),
            col(IntelPost.author_id).label("author"),
        )
        .select_from(IntelPost)
        .outerjoin(ialias, ion)
        .where(
            col(IntelPost.team_id) == team_id,
            col(IntelPost.kind) == COMPETITOR,
            col(IntelPost.subject_key).is_not(None),
        )
    )
    dalias, don, dkey = resolved(col(WinLoss.team_id), col(WinLoss.competitor_key))
    outcome = col(WinLoss.outcome)
    deals: Any = (
        select(
            dkey.label("key"),
            col(WinLoss.competitor).label("name"),
            case((col(dalias.competitor_key).is_(None), col(WinLoss.competitor))).label("own"),
            col(WinLoss.reported_at).label("at"),
            literal(0).label("intel"),
            case((outcome == "win", 1), else_=0).label("win"),
            case((outcome == "loss", 1), else_=0).label("loss"),
            col(WinLoss.user_id).label("author"),
        )
        .select_from(WinLoss)
        .outerjoin(dalias, don)
        .where(col(WinLoss.team_id) == team_id, col(WinLoss.competitor_key).is_not(None))
    )
    if since is not None:
        intel = intel.where(col(IntelPost.created_at) >= since)
        deals = deals.where(col(WinLoss.reported_at) >= since)
    if until is not None:
        intel = intel.where(col(IntelPost.created_at) < until)
        deals = deals.where(col(WinLoss.reported_at) < until)
    return union_all(intel, deals).subquery()


def shown_name(team_id: str, key: Any, fallback: Any) -> tuple[Any, Any, Any]:
    """(card table, join condition, name) for showing a resolved key in a grouped query: its
    card's name, else `fallback` (an aggregate). Outer-join the card table on the condition."""
    card = _CARD
    on = and_(col(card.team_id) == team_id, col(card.competitor_key) == key)
    return card, on, func.coalesce(func.max(col(card.name)), fallback)


def canonical_key(*, session: Session, team_id: str, key: str) -> str:
    """The competitor `key` stands for: the one it is an alias of, or itself."""
    found = session.scalars(
        select(col(CompetitorAlias.competitor_key)).where(
            col(CompetitorAlias.team_id) == team_id, col(CompetitorAlias.alias_key) == key
        )
    ).first()
    return found or key


def _keys_of(team_id: str, key: str) -> Any:
    """The keys stored rows may have for the competitor `key`: its own and its aliases'."""
    return union_all(
        select(literal(key, String).label("key")),
        select(col(CompetitorAlias.alias_key).label("key")).where(
            col(CompetitorAlias.team_id) == team_id, col(CompetitorAlias.competitor_key) == key
        ),
    ).subquery()


@dataclass(frozen=True)
class Deals:
    wins: int
    losses: int
    lost: tuple[tuple[str | None, Decimal], ...] = ()  # amounts lost by currency, largest first

    @property
    def win_rate(self) -> float | None:
        decided = self.wins + self.losses
        return self.wins / decided if decided else None


@dataclass(frozen=True)
class CardData:
    """Everything `/competitor NAME` shows; `known` is False for a name Tandem never saw."""

    key: str
    name: str
    card: CompetitorCard | None
    aliases: tuple[str, ...]
    intel_count: int  # in the period
    intel: Sequence[IntelPost]  # the newest of the period
    deals: Deals  # all reported
    loss_reasons: Sequence[tuple[str, int]]
    collateral_count: int
    collateral: Sequence[CollateralScore]  # most helpful first
    known: bool


def card_data(
    *,
    session: Session,
    team_id: str,
    name: str,
    since: datetime,
    until: datetime | None = None,
    newest: int = 5,
    reasons: int = 3,
    items: int = 5,
) -> CardData:
    """The card of the competitor `name` (or an alias of it), intel counted from `since`
    (until `until`, when given)."""
    key = canonical_key(session=session, team_id=team_id, key=competitor_key(name))
    keys = select(_keys_of(team_id, key).c.key)
    card = session.scalars(
        select(CompetitorCard).where(
            col(CompetitorCard.team_id) == team_id, col(CompetitorCard.competitor_key) == key
        )
    ).first()
    aliases = session.scalars(
        select(col(CompetitorAlias.alias))
        .where(col(CompetitorAlias.team_id) == team_id, col(CompetitorAlias.competitor_key) == key)
        .order_by(col(CompetitorAlias.alias_key))
    ).all()
    about = (
        col(IntelPost.team_id) == team_id,
        col(IntelPost.kind) == COMPETITOR,
        col(IntelPost.subject_key).in_(keys),
    )
    period: tuple[Any, ...] = (col(IntelPost.created_at) >= since,)
    if until is not None:
        period += (col(IntelPost.created_at) < until,)
    intel_count, intel_ever, intel_name = session.execute(
        select(
            func.coalesce(func.sum(case((and_(*period), 1), else_=0)), 0),
            func.count(),
            func.max(case((col(IntelPost.subject_key) == key, col(IntelPost.subject)))),
        ).where(*about)
    ).one()
    intel = session.scalars(
        select(IntelPost)
        .where(*about, *period)
        .order_by(col(IntelPost.created_at).desc(), col(IntelPost.id).desc())
        .limit(newest)
    ).all()
    deals, deal_name = _deals(session, team_id, key, keys)
    loss_reasons = _loss_reasons(session, team_id, keys, reasons)
    collateral_count, collateral = _collateral(session, team_id, key, items)
    shown = card.name if card else intel_name or deal_name or competitor_name(name)
    return CardData(
        key=key,
        name=shown,
        card=card,
        aliases=tuple(aliases),
        intel_count=int(intel_count),
        intel=intel,
        deals=deals,
        loss_reasons=loss_reasons,
        collateral_count=collateral_count,
        collateral=collateral,
        known=bool(card or aliases or intel_ever or deals.wins + deals.losses),
    )


def _deals(session: Session, team_id: str, key: str, keys: Any) -> tuple[Deals, str | None]:
    outcome = col(WinLoss.outcome)
    against = (col(WinLoss.team_id) == team_id, col(WinLoss.competitor_key).in_(keys))
    wins, losses, name = session.execute(
        select(
            func.coalesce(func.sum(case((outcome == "win", 1), else_=0)), 0),
            func.coalesce(func.sum(case((outcome == "loss", 1), else_=0)), 0),
            func.max(case((col(WinLoss.competitor_key) == key, col(WinLoss.competitor)))),
        ).where(*against)
    ).one()
    # Amounts in different currencies are never added together.
    total = type_coerce(func.sum(col(WinLoss.amount)), Numeric(14, 2))
    lost = session.execute(
        select(col(WinLoss.currency), total)
        .where(*against, outcome == "loss", col(WinLoss.amount).is_not(None))
        .group_by(col(WinLoss.currency))
        .order_by(total.desc(), col(WinLoss.currency))
    ).all()
    cents = Decimal("0.01")
    deals = Deals(
        wins=int(wins),
        losses=int(losses),
        lost=tuple((currency, Decimal(sum_).quantize(cents)) for currency, sum_ in lost),
    )
    return deals, name


def _loss_reasons(
    session: Session, team_id: str, keys: Any, limit: int
) -> Sequence[tuple[str, int]]:
    reason = func.lower(col(WinLoss.reason))
    n = func.count().label("n")
    rows = session.execute(
        select(func.max(col(WinLoss.reason)), n)
        .where(
            col(WinLoss.team_id) == team_id,
            col(WinLoss.outcome) == "loss",
            col(WinLoss.competitor_key).in_(keys),
            col(WinLoss.reason) != "",
        )
        .group_by(reason)
        .order_by(n.desc(), reason)
        .limit(limit)
    ).all()
    return [(str(text), int(count)) for text, count in rows]


def _like_literal(text: Any) -> Any:
    """A SQL string expression with LIKE's wildcards escaped by a backslash."""
    return func.replace(func.replace(func.replace(text, "\\", "\\\\"), "%", "\\%"), "_", "\\_")


def _tagged(team_id: str, key: str) -> Any:
    """Whether an item is tagged with the competitor's name or an alias of it: `#acme`, and
    for names with spaces `#acme-corp` or `#acmecorp`. Tags are stored lower-cased, spaced."""
    keys = _keys_of(team_id, key)
    patterns = [func.replace(keys.c.key, " ", joiner) for joiner in ("-", "")]
    return (
        exists()
        .where(
            or_(
                *(
                    col(Collateral.tags).like(
                        literal("% ").concat(_like_literal(p)).concat(literal(" %")), escape="\\"
                    )
                    for p in patterns
                )
            )
        )
        .select_from(keys)
    )


def _collateral(
    session: Session, team_id: str, key: str, limit: int
) -> tuple[int, list[CollateralScore]]:
    tagged = (col(Collateral.team_id) == team_id, _tagged(team_id, key))
    total = session.scalar(select(func.count()).select_from(Collateral).where(*tagged)) or 0
    if not total:
        return 0, []
    return int(total), scores(session, *tagged, limit=limit, unvoted=True)


@dataclass(frozen=True)
class CompetitorRow:
    key: str
    name: str
    intel: int
    wins: int
    losses: int

    @property
    def deals(self) -> int:
        return self.wins + self.losses

    @property
    def win_rate(self) -> float | None:
        return self.wins / self.deals if self.deals else None


def competitor_list(
    *,
    session: Session,
    team_id: str,
    since: datetime,
    until: datetime | None = None,
    active_only: bool = False,
    limit: int | None = None,
) -> list[CompetitorRow]:
    """Every competitor ever named or given a card, with its intel and deals since `since`
    (until `until`, when given), most active first; with `active_only`, those named then."""
    m = mentions(team_id)
    cards: Any = select(
        col(CompetitorCard.competitor_key).label("key"),
        col(CompetitorCard.name).label("name"),
        col(CompetitorCard.name).label("own"),
        col(CompetitorCard.updated_at).label("at"),
        literal(0).label("intel"),
        literal(0).label("win"),
        literal(0).label("loss"),
        col(CompetitorCard.reviewed_by).label("author"),
    ).where(col(CompetitorCard.team_id) == team_id)
    every = union_all(select(m), cards).subquery()
    within = every.c.at >= since if until is None else and_(every.c.at >= since, every.c.at < until)

    def recent(column: Any) -> Any:
        return func.coalesce(func.sum(case((within, column), else_=0)), 0)

    intel, wins, losses = recent(every.c.intel), recent(every.c.win), recent(every.c.loss)
    activity = intel + wins + losses
    fallback = func.coalesce(func.max(every.c.own), func.max(every.c.name))
    card, on, name = shown_name(team_id, every.c.key, fallback)
    query = (
        select(every.c.key, name, intel, wins, losses)
        .select_from(every)
        .outerjoin(card, on)
        .group_by(every.c.key)
        .order_by(activity.desc(), every.c.key)
        .limit(limit)
    )
    if active_only:
        query = query.having(activity > 0)
    rows = session.execute(query).all()
    return [
        CompetitorRow(key=k, name=str(name), intel=int(i), wins=int(w), losses=int(lo))
        for k, name, i, w, lo in rows
    ]


@dataclass(frozen=True)
class StaleCard:
    name: str
    reviewed_at: datetime | None  # None: never reviewed (or no card yet)
    mentions: int


def stale_cards(
    *,
    session: Session,
    team_id: str,
    since: datetime,
    until: datetime,
    stale_before: datetime,
    limit: int = 10,
) -> list[StaleCard]:
    """Competitors named in intel or deals in [since, until) whose card was last reviewed
    before `stale_before`, or never; most mentioned first."""
    m = mentions(team_id, since=since, until=until)
    count = func.count().label("n")
    fallback = func.coalesce(func.max(m.c.own), func.max(m.c.name))
    card, on, name = shown_name(team_id, m.c.key, fallback)
    reviewed = func.max(col(card.reviewed_at))
    rows = session.execute(
        select(name, reviewed, count)
        .select_from(m)
        .outerjoin(card, on)
        .group_by(m.c.key)
        .having(or_(reviewed.is_(None), reviewed < stale_before))
        .order_by(count.desc(), m.c.key)
        .limit(limit)
    ).all()
    return [StaleCard(name=str(name), reviewed_at=at, mentions=int(n)) for name, at, n in rows]


@dataclass(frozen=True)
class CardText:
    why_win: str
    why_lose: str
    pitch: str
    answer: str


def save_card(
    *,
    session: Session,
    team_id: str,
    name: str,
    text: CardText,
    user_id: str,
    now: datetime,
) -> str:
    """Store the card's four fields as reviewed by `user_id` now; the name it is shown by."""
    key = canonical_key(session=session, team_id=team_id, key=competitor_key(name))
    fields = {
        **{field: getattr(text, field) for field in CARD_FIELDS},
        "reviewed_by": user_id,
        "reviewed_at": now,
        "updated_at": now,
    }
    statement = on_conflict_insert(session)(CompetitorCard).values(
        team_id=team_id, competitor_key=key, name=competitor_name(name), **fields
    )
    session.execute(
        statement.on_conflict_do_update(index_elements=["team_id", "competitor_key"], set_=fields)
    )
    shown = session.scalars(
        select(col(CompetitorCard.name)).where(
            col(CompetitorCard.team_id) == team_id, col(CompetitorCard.competitor_key) == key
        )
    ).one()
    return str(shown)


def find_card(*, session: Session, team_id: str, name: str) -> CompetitorCard | None:
    """The card of `name` (or of the competitor it is an alias of), if it has one."""
    key = canonical_key(session=session, team_id=team_id, key=competitor_key(name))
    return session.scalars(
        select(CompetitorCard).where(
            col(CompetitorCard.team_id) == team_id, col(CompetitorCard.competitor_key) == key
        )
    ).first()


@dataclass(frozen=True)
class Aliased:
    name: str  # the competitor, as shown
    added: tuple[str, ...]  # spellings that now count as it
    already: tuple[str, ...]  # spellings that already did


def add_aliases(
    *,
    session: Session,
    team_id: str,
    name: str,
    aliases: Sequence[str],
    user_id: str,
    now: datetime,
) -> Aliased:
    """Make every one of `aliases` count as the competitor `name`, from now and for the past.

    `name` may itself be an alias: its competitor is meant. A spelling that was a
    competitor of its own, with aliases, brings them along (aliases stay one step deep).
    """
    key = canonical_key(session=session, team_id=team_id, key=competitor_key(name))
    card = session.scalars(
        select(CompetitorCard).where(
            col(CompetitorCard.team_id) == team_id, col(CompetitorCard.competitor_key) == key
        )
    ).first()
    if card is None:
        # The competitor's own spelling is how the card and every list will show it.
        session.add(
            CompetitorCard(
                team_id=team_id, competitor_key=key, name=competitor_name(name), updated_at=now
            )
        )
        shown = competitor_name(name)
    else:
        shown = card.name
    added: list[str] = []
    already: list[str] = []
    for alias in aliases:
        alias_key = competitor_key(alias)
        if alias_key == key or alias_key in (competitor_key(a) for a in added):
            already.append(competitor_name(alias))
            continue
        existing = session.scalars(
            select(CompetitorAlias).where(
                col(CompetitorAlias.team_id) == team_id, col(CompetitorAlias.alias_key) == alias_key
            )
        ).first()
        if existing is not None and existing.competitor_key == key:
            already.append(existing.alias)
            continue
        if existing is not None:
            existing.competitor_key = key
            existing.created_by, existing.created_at = user_id, now
            session.add(existing)
        else:
            session.add(
                CompetitorAlias(
                    team_id=team_id,
                    alias_key=alias_key,
                    alias=competitor_name(alias),
                    competitor_key=key,
                    created_by=user_id,
                    created_at=now,
                )
            )
        _merge_card(session, team_id, alias_key, key)
        # Whatever counted as the alias counts as the competitor now.
        session.execute(
            update(CompetitorAlias)
            .where(
                col(CompetitorAlias.team_id) == team_id,
                col(CompetitorAlias.competitor_key) == alias_key,
            )
            .values(competitor_key=key)
        )
        added.append(competitor_name(alias))
    session.flush()
    return Aliased(name=shown, added=tuple(added), already=tuple(already))


def _merge_card(session: Session, team_id: str, alias_key: str, key: str) -> None:
    """A spelling that had a card of its own keeps no card: its text goes to the competitor's
    card when that one was never reviewed (otherwise the reviewed card stands)."""
    session.flush()
    cards = {
        card.competitor_key: card
        for card in session.scalars(
            select(CompetitorCard).where(
                col(CompetitorCard.team_id) == team_id,
                col(CompetitorCard.competitor_key).in_([alias_key, key]),
            )
        )
    }
    old, kept = cards.get(alias_key), cards.get(key)
    if old is None:
        return
    if kept is not None and kept.reviewed_at is None and old.reviewed_at is not None:
        for field in (*CARD_FIELDS, "reviewed_by", "reviewed_at"):
            setattr(kept, field, getattr(old, field))
        session.add(kept)
    session.delete(old)
