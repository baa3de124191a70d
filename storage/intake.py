"""Leads arriving over the webhook, stored a batch at a time.

The web process hands every lead that arrives while the previous batch commits to
`receive_many` in one transaction (storage.writer's group commit): one lookup of the
workspaces' secrets, one of earlier handoffs that make a lead a repeat, one multi-row
insert of the new handoffs and one of the claims on their cards, whatever the batch size.

A repeat is the same Idempotency-Key, or, without one, the same lead while still open;
two of them in one batch are one handoff. A row another worker inserted first (the
insert skips it: ON CONFLICT DO NOTHING) is looked up and answered as a repeat.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from hmac import compare_digest
from typing import Any

from sqlalchemy import and_, or_, select, tuple_
from sqlmodel import Session, col

from storage.db import on_conflict_insert
from storage.models import Handoff, HandoffPost, HandoffSetup

UNKNOWN = "unknown"  # no workspace has that secret
NO_CHANNEL = "no channel"  # the workspace has no handoff channel
_KEYED, _OPEN = "key", "open"


@dataclass(frozen=True)
class NewHandoff:
    """A lead as the webhook delivered it, checked."""

    lead_ref: str
    name: str | None = None
    company: str | None = None
    email: str | None = None
    campaign: str | None = None
    segment: str | None = None
    score: float | None = None
    url: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class Incoming:
    """One webhook request: its secret's hash, the lead, and when its SLA would run out."""

    token_hash: str
    lead: NewHandoff
    idempotency_key: str | None
    now: datetime
    due: Callable[[HandoffSetup], datetime]
    card_lease: timedelta


@dataclass(frozen=True)
class Received:
    handoff_id: int
    created: bool  # False: the same lead (or Idempotency-Key) was already handed over
    handoff: Handoff | None = None  # as stored, when created: what its card shows
    card: HandoffPost | None = None  # the claim on posting its card, when created


Outcome = Received | str  # or UNKNOWN, NO_CHANNEL


def receive_many(session: Session, batch: Sequence[Incoming]) -> list[Outcome]:
    """Store a batch of handed-over leads and claim their cards; each one's outcome."""
    hashes = {item.token_hash for item in batch}
    setups = {
        setup.token_hash: setup
        for setup in session.scalars(
            select(HandoffSetup).where(col(HandoffSetup.token_hash).in_(hashes))
        )
    }
    outcomes: list[Outcome | None] = [None] * len(batch)
    keys: dict[int, Key] = {}
    for index, item in enumerate(batch):
        setup = setups.get(item.token_hash)
        if setup is None or not compare_digest(setup.token_hash or "", item.token_hash):
            outcomes[index] = UNKNOWN
        elif setup.channel_id is None:
            outcomes[index] = NO_CHANNEL
        else:
            keys[index] = _key(setup.team_id, item.idempotency_key, item.lead.lead_ref)
    earlier = _existing(session, set(keys.values()))
    first: dict[Key, int] = {}  # each new key, and the first request in the batch with it
    for index, key in keys.items():
        if key in earlier:
            outcomes[index] = Received(earlier[key], created=False)
        else:
            first.setdefault(key, index)
    rows = [_row(setups[batch[index].token_hash], batch[index]) for index in first.values()]
    stored = _insert(session, rows)
    claims = _claims(session, [(stored[key], batch[first[key]]) for key in first if key in stored])
    late = _existing(session, {key for key in first if key not in stored})
    for index, key in keys.items():
        if outcomes[index] is not None:
            continue
        if key not in stored:  # another worker stored it first
            outcomes[index] = Received(late[key], created=False)
        elif first[key] != index:  # the batch had this lead before: the same handoff
            outcomes[index] = Received(stored[key].id or 0, created=False)
        else:
            handoff = stored[key]
            assert handoff.id is not None
            outcomes[index] = Received(handoff.id, True, handoff, claims.get(handoff.id))
    return [outcome for outcome in outcomes if outcome is not None]


Key = tuple[str, str, str]  # (team, "key", Idempotency-Key) or (team, "open", lead key)


def _key(team_id: str, idempotency_key: str | None, lead_ref: str) -> Key:
    if idempotency_key is not None:
        return (team_id, _KEYED, idempotency_key)
    return (team_id, _OPEN, lead_ref.casefold())


def _existing(session: Session, keys: set[Key]) -> dict[Key, int]:
    """The handoffs that make these keys repeats, by key."""
    keyed = [(team, value) for team, kind, value in keys if kind == _KEYED]
    opened = [(team, value) for team, kind, value in keys if kind == _OPEN]
    team, key, lead = col(Handoff.team_id), col(Handoff.idempotency_key), col(Handoff.lead_key)
    repeats: list[Any] = []
    if keyed:
        repeats.append(tuple_(team, key).in_(keyed))
    if opened:
        repeats.append(
            and_(col(Handoff.status) == "open", key.is_(None), tuple_(team, lead).in_(opened))
        )
    if not repeats:
        return {}
    query = select(col(Handoff.id), team, key, col(Handoff.lead_ref)).where(or_(*repeats))
    found = {_key(t, k, ref): handoff_id for handoff_id, t, k, ref in session.execute(query)}
    return {k: v for k, v in found.items() if k in keys}


def _row(setup: HandoffSetup, item: Incoming) -> dict[str, Any]:
    return {
        **vars(item.lead),
        "team_id": setup.team_id,
        "lead_key": item.lead.lead_ref.casefold(),
        "idempotency_key": item.idempotency_key,
        "channel_id": setup.channel_id,
        "sla_minutes": setup.sla_minutes,
        "due_at": item.due(setup),
        "status": "open",
        "received_at": item.now,
    }


def _insert(session: Session, rows: list[dict[str, Any]]) -> dict[Key, Handoff]:
    """Insert the rows, skipping any another worker stored first; the stored, by key."""
    if not rows:
        return {}
    statement = on_conflict_insert(session)(Handoff).on_conflict_do_nothing().returning(Handoff)
    return {
        _key(handoff.team_id, handoff.idempotency_key, handoff.lead_ref): handoff
        for handoff in session.scalars(statement, rows)
    }


def _claims(session: Session, created: list[tuple[Handoff, Incoming]]) -> dict[int, HandoffPost]:
    """Claim the new handoffs' cards for posting, each leased as its request asked."""
    if not created:
        return {}
    rows = [
        {
            "team_id": handoff.team_id,
            "handoff_id": handoff.id,
            "what": "card",
            "status": "claimed",
            "attempts": 1,
            "lease_until": item.now + item.card_lease,
            "updated_at": item.now,
        }
        for handoff, item in created
    ]
    statement = on_conflict_insert(session)(HandoffPost).on_conflict_do_nothing()
    posts = session.scalars(statement.returning(HandoffPost), rows)
    return {post.handoff_id: post for post in posts}
