"""Handoff measures in SQL: counts, SLA share and the median time to accept, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from storage.db import session_scope
from storage.handoff_stats import handoff_stats
from storage.handoffs import accept, reject, update_setup
from tests.factories import add_handoff

SINCE = datetime(2026, 11, 2, tzinfo=UTC)
UNTIL = datetime(2026, 12, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def _hand(engine: Engine, lead: str, campaign: str, *, at: datetime) -> int:
    with session_scope(engine) as session:
        return add_handoff(
            session=session, token_hash="h" * 64, lead=lead, at=at, campaign=campaign
        )


def test_medians_overall_and_per_campaign(engine: Engine) -> None:
    """The median of an even count is the mean of the middle two, overall and per campaign;
    the overall counts add up the campaigns'; what fell outside the period is left out."""
    with session_scope(engine) as session:
        update_setup(
            session=session,
            team_id="T1",
            now=SINCE,
            token_hash="h" * 64,
            sla_minutes=45,
            channel_id="C7",
        )
    at = SINCE + timedelta(days=3)
    accepted = {"A": [10, 20, 30, 40], "B": [100], "C": [50]}  # minutes to accept
    for campaign, minutes in accepted.items():
        for n, after in enumerate(minutes):
            handoff_id = _hand(engine, f"{campaign}-{n}", campaign, at=at)
            with session_scope(engine) as session:
                accept(
                    session=session,
                    team_id="T1",
                    handoff_id=handoff_id,
                    user_id="U2",
                    now=at + after * MINUTE,
                )
    rejected = _hand(engine, "A-no", "A", at=at)
    with session_scope(engine) as session:
        reject(
            session=session,
            team_id="T1",
            handoff_id=rejected,
            user_id="U2",
            reason="not our segment",
            unmet=(),
            now=at + MINUTE,
        )
    _hand(engine, "A-open", "A", at=at)
    _hand(engine, "A-late", "A", at=UNTIL)  # after the period
    with session_scope(engine) as session:
        stats = handoff_stats(session=session, team_id="T1", since=SINCE, until=UNTIL)
    overall = stats.overall
    assert (overall.handed, overall.accepted, overall.rejected, overall.open) == (8, 6, 1, 1)
    assert overall.median_accept_seconds == 35 * 60  # 10 20 30 | 40 50 100
    assert overall.within_sla == 4 / 6  # within 45 minutes: 10, 20, 30, 40
    by_campaign = {c.label: c for c in stats.campaigns}
    assert [c.label for c in stats.campaigns] == ["A", "B", "C"]
    assert by_campaign["A"].median_accept_seconds == 25 * 60
    assert (by_campaign["A"].handed, by_campaign["A"].accepted) == (6, 4)
    assert by_campaign["B"].median_accept_seconds == 100 * 60
    assert by_campaign["C"].median_accept_seconds == 50 * 60
