"""The group-commit writer: many requests share commits, and faults lose nothing confirmed."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Engine, func, select, text
from sqlmodel import Session

from storage.db import Database
from storage.leads import NewRating, RatingWrite, save_ratings
from storage.models import GlossaryTerm, LeadRating
from tests.clock import NOW
from tests.factories import add_term


def rating(ref: str, score: int = 4) -> NewRating:
    return NewRating(ref, score, None, None, {}, "a perfectly fine lead")


def count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


async def test_concurrent_writes_all_land(db: Database, engine: Engine) -> None:
    """Two hundred ratings sent at once are all confirmed and all stored."""
    writes = [RatingWrite("T1", f"U{n % 7}", rating(f"L-{n}"), NOW) for n in range(200)]
    results = await asyncio.gather(*(db.write_many(save_ratings, w) for w in writes))
    assert results == [False] * 200
    assert count(engine, LeadRating) == 200


async def test_same_lead_twice_in_one_batch_keeps_the_last(db: Database, engine: Engine) -> None:
    """A rep's two ratings of one lead in the same batch leave the second, marked as replacing."""
    first = RatingWrite("T1", "U1", rating("ACME-1", 2), NOW)
    second = RatingWrite("T1", "U1", rating("acme-1", 5), NOW)
    results = await asyncio.gather(
        db.write_many(save_ratings, first), db.write_many(save_ratings, second)
    )
    assert results == [False, True]
    with Session(engine) as session:
        assert session.scalars(select(LeadRating.score)).all() == [5]


def _explode(*, session: Session) -> None:
    session.execute(text("SELECT * FROM no_such_table"))


def _define(*, session: Session, term: str) -> str:
    add_term(session=session, term=term, definition="d", at=NOW)
    return term


async def test_a_failing_job_does_not_sink_its_batch(db: Database, engine: Engine) -> None:
    """A job that fails gets its own error; the jobs batched with it still commit."""
    outcomes = await asyncio.gather(
        db.write(_define, term="MQL"),
        db.write(_explode),
        db.write(_define, term="SQL"),
        return_exceptions=True,
    )
    assert outcomes[0] == "MQL" and outcomes[2] == "SQL"
    assert isinstance(outcomes[1], Exception)
    assert count(engine, GlossaryTerm) == 2


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_dropped_connection_is_retried(db: Database, engine: Engine) -> None:
    """When PostgreSQL drops the writer's connection, the next write still lands."""
    await db.write_many(save_ratings, RatingWrite("T1", "U1", rating("L-1"), NOW))
    with engine.connect() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    await db.write_many(save_ratings, RatingWrite("T1", "U1", rating("L-2"), NOW))
    assert count(engine, LeadRating) == 2
