"""The glossary: one definition per term per workspace."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from storage.models import GlossaryTerm


def define_term(
    *, session: Session, team_id: str, user_id: str, term: str, definition: str, now: datetime
) -> bool:
    """Define or redefine `term`; returns whether it existed before."""
    key = term.casefold()
    existing = session.scalars(
        select(GlossaryTerm).where(
            col(GlossaryTerm.team_id) == team_id, col(GlossaryTerm.term_key) == key
        )
    ).first()
    fields: dict[str, Any] = {
        "term": term,
        "definition": definition,
        "updated_by": user_id,
        "updated_at": now,
    }
    if existing is None:
        session.add(GlossaryTerm(team_id=team_id, term_key=key, **fields))
    else:
        existing.sqlmodel_update(fields)
        session.add(existing)
    session.flush()
    return existing is not None


def find_term(*, session: Session, team_id: str, term: str) -> GlossaryTerm | None:
    return session.scalars(
        select(GlossaryTerm).where(
            col(GlossaryTerm.team_id) == team_id, col(GlossaryTerm.term_key) == term.casefold()
        )
    ).first()


def list_terms(*, session: Session, team_id: str, limit: int = 200) -> Sequence[GlossaryTerm]:
    return session.scalars(
        select(GlossaryTerm)
        .where(col(GlossaryTerm.team_id) == team_id)
        .order_by(func.lower(GlossaryTerm.term))
        .limit(limit)
    ).all()


def terms_changed(
    *, session: Session, team_id: str, since: datetime, until: datetime
) -> Sequence[GlossaryTerm]:
    """Terms defined or changed in a period, for the meeting agendas."""
    return session.scalars(
        select(GlossaryTerm)
        .where(
            col(GlossaryTerm.team_id) == team_id,
            col(GlossaryTerm.updated_at) >= since,
            col(GlossaryTerm.updated_at) < until,
        )
        .order_by(col(GlossaryTerm.updated_at).desc())
        .limit(50)
    ).all()
