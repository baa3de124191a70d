"""The App Home tab: the pure view, and the published tab through signed events."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from handlers.home.views import FIRST_STEPS, home_view, unavailable_view
from storage.collateral import CollateralScore
from storage.db import session_scope
from storage.handoff_stats import HandoffStats, HandoffSummary
from storage.home import HomeData
from storage.leads import LeadStats, RatingSummary
from storage.winloss import WinLossSummary
from tests.clock import SetClock
from tests.factories import (
    add_collateral,
    add_intel,
    add_rating,
    add_result,
    add_vote,
    make_cadence,
)
from tests.fake_slack import FakeSlack
from tests.forms import check_view
from tests.slack_client import SignedSlack

NOW = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)


def empty(**changes: Any) -> HomeData:
    nobody = RatingSummary(label=None, count=0, average=0.0, unmet=())
    fields: dict[str, Any] = {
        "leads": LeadStats(overall=nobody, campaigns=()),
        "intel": {},
        "results": WinLossSummary(
            wins=0, losses=0, win_rate=None, amount_won=Decimal(0), amount_lost=Decimal(0)
        ),
        "collateral": (),
        "handoffs": HandoffStats(
            overall=HandoffSummary(None, 0, 0, 0, 0, None, None), campaigns=()
        ),
        "meetings": (),
        **changes,
    }
    return HomeData(**fields)


def shown(view: dict[str, Any]) -> str:
    return "\n".join(
        b["text"]["text"] if b["type"] in ("section", "header") else json.dumps(b)
        for b in view["blocks"]
    )


def test_empty_home_says_what_to_do_first() -> None:
    """A new workspace's tab tells the user the first command of every part."""
    view = home_view(data=empty(), now=NOW)
    check_view(view)
    text = shown(view)
    for step in FIRST_STEPS.values():
        assert step in text
    assert "Rate your first lead: `/lead ACME-42 4" in text


def test_next_meetings_in_their_own_zone() -> None:
    """Next meetings come soonest first, at their own local time; broken rules are left out."""
    set_at = NOW - timedelta(days=1)
    meetings = (
        make_cadence(kind="quarterly", channel_id="C2", now=set_at),
        make_cadence(channel_id="C1", now=set_at),
        make_cadence(channel_id="C3", zone="Mars/Olympus", now=set_at),
    )
    text = shown(home_view(data=empty(meetings=meetings), now=NOW))
    monthly = "*Monthly field-intel meeting*: Tue 7 Apr 2026, 10:00 America/New_York in <#C1>"
    quarterly = "*Quarterly planning meeting*: Mon 13 Apr 2026, 09:00 Europe/Berlin in <#C2>"
    assert monthly in text and quarterly in text
    assert text.index(monthly) < text.index(quarterly)
    assert "Mars" not in text and FIRST_STEPS["meetings"] not in text


def test_big_and_hostile_data_stays_valid() -> None:
    """Many long campaign names fit Slack's limits, and names never become live mentions."""
    campaigns = tuple(
        RatingSummary(label=f"<!channel> {n:02d} " + "c" * 200, count=2, average=3.5, unmet=())
        for n in range(40)
    )
    leads = LeadStats(
        overall=RatingSummary(label=None, count=80, average=3.5, unmet=()), campaigns=campaigns
    )
    collateral = (CollateralScore(1, "<@U42> deck", "https://x.io/a|b", 3, 1, 2),)
    view = home_view(data=empty(leads=leads, collateral=collateral), now=NOW)
    check_view(view)
    text = shown(view)
    assert "<!channel>" not in text and "<@U42>" not in text
    assert "&lt;!channel&gt; 09" in text and "&lt;!channel&gt; 10" not in text
    assert "and 30 more campaigns" in text
    assert "<https://x.io/a%7Cb|&lt;@U42&gt; deck>: 3 helpful" in text


def test_long_collateral_and_outage_views_are_valid() -> None:
    """Five items with the longest links each keep their link whole; the outage view is valid."""
    url = "https://example.com/" + "a" * 1980
    collateral = tuple(CollateralScore(n, "&" * 300, url, 3, 1, 2) for n in range(5))
    view = home_view(data=empty(collateral=collateral), now=NOW)
    check_view(view)
    links = [b["text"]["text"] for b in view["blocks"] if url in json.dumps(b)]
    assert len(links) == 5
    assert all(text.count("<") == text.count(">") == 1 for text in links)
    check_view(unavailable_view())


def seed(engine: Engine, *, now: datetime) -> None:
    """A month of activity in T1, an older month, and another workspace."""
    recent, old = now - timedelta(days=2), now - timedelta(days=40)
    with session_scope(engine) as session:
        for team, user, score, campaign, at in (
            ("T1", "U1", 4, "Q3 webinar", recent),
            ("T1", "U2", 2, "Q3 webinar", recent),
            ("T1", "U1", 1, "Trade show", old),
            ("T2", "U1", 5, "Elsewhere", recent),
        ):
            add_rating(
                session=session,
                team_id=team,
                lead=f"L-{user}-{campaign}",
                score=score,
                user_id=user,
                campaign=campaign,
                reason="reason enough",
                at=at,
            )
        for team, kind, at in (
            ("T1", "competitor", recent),
            ("T1", "competitor", recent),
            ("T1", "customer", recent),
            ("T1", "market", old),
            ("T2", "prospect", recent),
        ):
            add_intel(session=session, team_id=team, kind=kind, subject=None, text="news", at=at)
        for team, outcome, deal, at in (
            ("T1", "win", "D-1", recent),
            ("T1", "win", "D-2", recent),
            ("T1", "loss", "D-3", recent),
            ("T1", "loss", "D-4", old),
            ("T2", "loss", "D-5", recent),
        ):
            add_result(session=session, team_id=team, outcome=outcome, deal=deal, at=at)
        deck = add_collateral(session=session, title="Hotel deck", url="https://x.io/deck", at=old)
        add_vote(session=session, collateral_id=deck, user_id="U2", vote="helpful", at=recent)
        make_cadence(session=session, channel_id="C5", now=old)
        make_cadence(session=session, kind="quarterly", channel_id="C5", active=False, now=old)


def home_opened(*, user: str = "U5", tab: str = "home") -> dict[str, Any]:
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": "D5",
        "tab": tab,
        "event_ts": "1700000000.000100",
    }


async def test_home_tab_shows_the_last_30_days(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine, clock: SetClock
) -> None:
    """Opening Home publishes, for that user, the workspace's last 30 days and next meeting."""
    seed(engine, now=clock.now)
    response = await slack.event(home_opened(), team="T1")
    assert response.status_code == 200
    (published,) = slack_api.sent("views.publish")
    assert published["user_id"] == "U5"
    view = published["view"]
    check_view(view)
    text = shown(view)
    assert "*Q3 webinar*: average *3.0*/5 from 2 ratings" in text
    assert "Trade show" not in text and "Elsewhere" not in text
    assert "competitor: *2* · customer: *1*" in text and "market" not in text
    assert "2 wins, 1 loss · win rate *67%*" in text
    assert "<https://x.io/deck|Hotel deck>: 1 helpful" in text
    assert "*Monthly field-intel meeting*: Tue" in text and "America/New_York in <#C5>" in text
    assert "Quarterly" not in text


async def test_other_workspace_sees_only_its_own(
    slack: SignedSlack, slack_api: FakeSlack, engine: Engine, clock: SetClock
) -> None:
    """Another workspace's Home tab shows its own figures and none of T1's."""
    seed(engine, now=clock.now)
    await slack.event(home_opened(), team="T2")
    text = shown(slack_api.sent("views.publish")[0]["view"])
    assert "Elsewhere" in text and "prospect: *1*" in text and "0 wins, 1 loss" in text
    assert "Q3 webinar" not in text and FIRST_STEPS["meetings"] in text
    assert FIRST_STEPS["collateral"] in text


async def test_messages_tab_publishes_nothing(slack: SignedSlack, slack_api: FakeSlack) -> None:
    """Opening the Messages tab leaves the Home view alone."""
    response = await slack.event(home_opened(tab="messages"))
    assert response.status_code == 200
    assert slack_api.sent("views.publish") == []
