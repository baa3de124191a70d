"""What an agenda calls new: competitors and loss reasons not seen in the period before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from storage.agenda import new_competitors, new_loss_reasons
from storage.db import session_scope
from tests.factories import add_intel, add_result

BEFORE = datetime(2026, 1, 1, tzinfo=UTC)
SINCE = datetime(2026, 2, 1, tzinfo=UTC)
UNTIL = datetime(2026, 3, 1, tzinfo=UTC)
SECOND = timedelta(seconds=1)
WINDOW = {"team_id": "T1", "since": SINCE, "until": UNTIL, "before": BEFORE}


def test_a_competitor_named_in_the_period_before_is_not_new(engine: Engine) -> None:
    """Named in [before, since) by intel or by a deal, a competitor is not new; only earlier,
    or in another workspace, it is; namings at `since` count as now, mentions only now."""
    with session_scope(engine) as s:
        add_intel(session=s, subject="Acme", at=BEFORE)  # the first instant of the period before
        add_intel(session=s, subject="Acme", at=SINCE)
        add_result(session=s, outcome="loss", deal="D1", competitor="Globex", at=SINCE - SECOND)
        add_intel(session=s, subject="GLOBEX", at=SINCE + SECOND)
        add_intel(session=s, subject="Initech", at=BEFORE - SECOND)  # before both periods
        add_intel(session=s, subject="initech", at=SINCE)
        add_result(session=s, outcome="win", deal="D2", competitor="Initech", at=UNTIL - SECOND)
        add_intel(session=s, subject="Hooli", team_id="T2", at=BEFORE)
        add_intel(session=s, subject="Hooli", at=SINCE)
        add_intel(session=s, subject="Umbrella", at=UNTIL)  # after the period
    with session_scope(engine) as s:
        found = new_competitors(session=s, **WINDOW)
    # Which spelling shows depends on the database's collation.
    assert [(name.casefold(), n) for name, n in found] == [("initech", 2), ("hooli", 1)]


def test_a_loss_reason_given_before_in_any_case_is_not_new(engine: Engine) -> None:
    """A reason given for a loss in [before, since), in any case, is not new; one given for
    a win, or only before `before`, is."""
    with session_scope(engine) as s:
        add_result(session=s, outcome="loss", deal="D1", reason="price too high", at=BEFORE)
        add_result(session=s, outcome="loss", deal="D2", reason="Price Too High", at=SINCE)
        add_result(session=s, outcome="win", deal="D3", reason="missing SSO", at=SINCE - SECOND)
        add_result(session=s, outcome="loss", deal="D4", reason="missing SSO", at=SINCE)
        add_result(session=s, outcome="loss", deal="D5", reason="Missing sso", at=UNTIL - SECOND)
        add_result(session=s, outcome="loss", deal="D6", reason="slow", at=BEFORE - SECOND)
        add_result(session=s, outcome="loss", deal="D7", reason="slow", at=SINCE)
    with session_scope(engine) as s:
        found = new_loss_reasons(session=s, **WINDOW)
    assert [(reason.casefold(), n) for reason, n in found] == [("missing sso", 2), ("slow", 1)]
