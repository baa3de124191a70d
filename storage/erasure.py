"""Forgetting a person: `/tandem forget @user`.

Their own verdicts go: lead ratings (a handoff they rejected counts as one) and collateral
votes. What they told the team stays, no longer theirs: intel, deals, glossary entries,
collateral they shared and handoffs they decided name FORMER_MEMBER instead of them.
Tandem keeps no drafts, so there are none to delete.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, delete, or_, update
from sqlmodel import Session, col

from storage.models import (
    Cadence,
    Collateral,
    CollateralVote,
    GlossaryTerm,
    Handoff,
    HandoffSetup,
    IntelPost,
    LeadRating,
    WinLoss,
)

# Stands for whoever was forgotten wherever a user id was kept; no Slack id looks like it.
FORMER_MEMBER = "former-member"


@dataclass(frozen=True)
class Forgotten:
    """What forgetting one person did."""

    ratings: int  # deleted
    votes: int  # deleted
    attributed: int  # records kept, now by a former member


def forget_person(*, session: Session, team_id: str, user_id: str) -> Forgotten:
    """Delete the person's ratings and votes; attribute what else they left to a former member."""
    run = session.connection().execute
    ratings = run(
        delete(LeadRating).where(
            col(LeadRating.team_id) == team_id, col(LeadRating.user_id) == user_id
        )
    ).rowcount
    votes = run(
        delete(CollateralVote).where(
            col(CollateralVote.team_id) == team_id, col(CollateralVote.user_id) == user_id
        )
    ).rowcount
    attributed = 0
    for model, names in _ATTRIBUTED:
        columns = [col(getattr(model, name)) for name in names]
        theirs = or_(*(column == user_id for column in columns))
        attributed += run(
            update(model)
            .where(col(model.team_id) == team_id, theirs)
            .values({c: case((c == user_id, FORMER_MEMBER), else_=c) for c in columns})
        ).rowcount
    return Forgotten(ratings=int(ratings), votes=int(votes), attributed=attributed)


_ATTRIBUTED: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (IntelPost, ("author_id", "posted_by")),
    (WinLoss, ("user_id",)),
    (GlossaryTerm, ("updated_by",)),
    (Collateral, ("author_id",)),
    (Handoff, ("decided_by",)),
    (Cadence, ("set_by",)),
    (HandoffSetup, ("set_by",)),
)
