"""TANDEM_RETENTION_DAYS: the clock deletes old records once a day, in batches, on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from handlers.handoff.hook import token_hash
from scheduler.retention import run_retention
from storage.db import session_scope
from storage.handoffs import update_setup
from storage.models import (
    Cadence,
    Collateral,
    CollateralVote,
    Delivery,
    GlossaryTerm,
    Handoff,
    IntelPost,
    LeadRating,
    OutboxEvent,
    Receipt,
    WinLoss,
)
from storage.receipts import claim_receipt
from storage.retention import purge
from tests.clock import NOW
from tests.factories import (
    add_collateral,
    add_handoff,
    add_intel,
    add_rating,
    add_result,
    add_term,
    add_vote,
    make_cadence,
)
from tests.fake_slack import FakeSlack
from tests.running import environment
from tests.test_clock_process import clock

SECRET = "tdm_retention"
OLD, RECENT = NOW, NOW + timedelta(days=20)
LATER = NOW + timedelta(days=31)  # OLD is 31 days old then, RECENT 11


def records(session: Session, *, at: datetime, tag: str, cadence_id: int) -> None:
    """One record of every kind Tandem keeps, dated `at`; `tag` keeps their keys apart."""
    add_rating(session=session, lead=f"LEAD-{tag}", at=at)
    add_intel(session=session, text=f"intel {tag}", at=at)
    add_result(session=session, deal=f"DEAL-{tag}", at=at)
    item = add_collateral(session=session, title=f"Deck {tag}", at=at)
    add_vote(session=session, collateral_id=item, at=at)
    add_term(session=session, term=f"TERM-{tag}", at=at)
    add_handoff(session=session, token_hash=token_hash(SECRET), lead=f"LEAD-{tag}", at=at)
    claim_receipt(session=session, team_id="T1", key=f"request-{tag}", now=at)
    session.add(
        Delivery(
            team_id="T1",
            cadence_id=cadence_id,
            occurrence=at,
            kind="agenda",
            status="done",
            updated_at=at,
        )
    )
    for status in ("delivered", "failed", "pending"):
        session.add(
            OutboxEvent(
                event_id=f"{tag}-{status}",
                team_id="T1",
                lead_key=f"lead-{tag}",
                body="{}",
                status=status,
                created_at=at,
                next_attempt_at=at,
            )
        )


def seed(engine: Engine) -> None:
    with session_scope(engine) as session:
        update_setup(
            session=session,
            team_id="T1",
            now=OLD,
            channel_id="C7",
            token_hash=token_hash(SECRET),
        )
        cadence = make_cadence(session=session, now=OLD)
        assert cadence.id is not None
        records(session, at=OLD, tag="old", cadence_id=cadence.id)
        records(session, at=RECENT, tag="new", cadence_id=cadence.id)


DATED: dict[Any, str] = {
    LeadRating: "rated_at",
    IntelPost: "created_at",
    WinLoss: "reported_at",
    Collateral: "created_at",
    CollateralVote: "voted_at",
    Handoff: "received_at",
    Receipt: "created_at",
    Delivery: "occurrence",
    GlossaryTerm: "updated_at",
    OutboxEvent: "created_at",
}


def dated(engine: Engine, at: datetime) -> dict[str, int]:
    """How many rows of each table are dated `at`."""
    with Session(engine) as session:
        return {
            model.__name__: int(
                session.scalar(
                    select(func.count()).select_from(model).where(col(getattr(model, c)) == at)
                )
                or 0
            )
            for model, c in DATED.items()
        }


def test_clock_removes_old_records_and_keeps_the_rest(
    engine: Engine, database_url: str, slack_api: FakeSlack, tmp_path: Path
) -> None:
    """With TANDEM_RETENTION_DAYS=30, a clock run 31 days later deletes the 31-day-old records
    and keeps the 11-day-old ones, the glossary, the cadence and undelivered events."""
    seed(engine)
    old, recent = dated(engine, OLD), dated(engine, RECENT)
    assert old == recent and old["OutboxEvent"] == 3 and old["LeadRating"] == 1
    env = environment(database_url=database_url, slack_api=slack_api)
    env["TANDEM_RETENTION_DAYS"] = "30"

    done = clock("--once", "--at", f"{LATER:%Y-%m-%dT%H:%M:%SZ}", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "retention (30 days): deleted 1 lead ratings" in done.stderr

    assert dated(engine, RECENT) == recent
    # Only how the workspace works outlives the cutoff (an event pending for 31 days was given
    # up by the same run, then deleted).
    assert dated(engine, OLD) == {**dict.fromkeys(old, 0), "GlossaryTerm": 1}
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Cadence)) == 1
        assert session.scalars(select(col(LeadRating.lead_ref))).all() == ["LEAD-new"]


def test_without_the_setting_nothing_is_deleted(
    engine: Engine, database_url: str, slack_api: FakeSlack, tmp_path: Path
) -> None:
    """TANDEM_RETENTION_DAYS unset keeps everything, however old."""
    seed(engine)
    before = dated(engine, OLD)
    env = environment(database_url=database_url, slack_api=slack_api)
    done = clock("--once", "--at", f"{LATER:%Y-%m-%dT%H:%M:%SZ}", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert dated(engine, OLD) == before


def test_once_a_day_in_batches(engine: Engine) -> None:
    """The first run of a day purges (a batch at a time); later runs that day do nothing."""
    with session_scope(engine) as session:
        for n in range(5):
            add_rating(session=session, lead=f"L-{n}", at=OLD)
    assert purge(engine=engine, before=OLD + timedelta(seconds=1), batch=2) == {"lead ratings": 5}
    with session_scope(engine) as session:
        add_rating(session=session, lead="L-late", at=OLD)
    assert run_retention(engine=engine, days=30, now=LATER) == {"lead ratings": 1}
    with session_scope(engine) as session:
        add_rating(session=session, lead="L-later", at=OLD)
    assert run_retention(engine=engine, days=30, now=LATER + timedelta(hours=3)) is None
    assert run_retention(engine=engine, days=None, now=LATER + timedelta(days=1)) is None
    assert run_retention(engine=engine, days=30, now=LATER + timedelta(days=1)) == {
        "lead ratings": 1
    }


@pytest.mark.parametrize("value", ["soon", "0", "-5"])
def test_bad_retention_is_one_line(value: str, slack_api: FakeSlack, tmp_path: Path) -> None:
    """An invalid TANDEM_RETENTION_DAYS stops the clock with one line naming it."""
    env = environment(database_url=f"sqlite:///{tmp_path / 'tandem.db'}", slack_api=slack_api)
    env["TANDEM_RETENTION_DAYS"] = value
    result = clock("--once", env=env, cwd=tmp_path)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "TANDEM_RETENTION_DAYS" in line
    assert "Traceback" not in result.stderr
