"""Meeting agendas built from stored data, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import icalendar
import pytest
from sqlalchemy import Engine

from core.blocks import sections
from scheduler.agenda import Agenda, build_agenda, starting_now
from scheduler.agenda_format import messages
from storage.db import session_scope
from tests.factories import (
    add_collateral,
    add_intel,
    add_rating,
    add_result,
    add_term,
    add_vote,
    make_cadence,
)
from tests.forms import check_blocks

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Monthly: first Tuesday 10:00 New York. The 3 March 2026 meeting's agenda, two days early,
# covers [3 Feb 15:00Z, now); the period before it is [6 Jan 15:00Z, 3 Feb 15:00Z).
MONTHLY_AT = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
MONTHLY_NOW = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
# Quarterly: second Monday of Jan/Apr/Jul/Oct, 09:00 Berlin. The 13 April 2026 meeting
# covers [12 Jan 08:00Z, now), beside [13 Oct 2025 07:00Z, 12 Jan 08:00Z); the next is 13 July.
QUARTERLY_AT = datetime(2026, 4, 13, 7, 0, tzinfo=UTC)
QUARTERLY_NOW = datetime(2026, 4, 12, 7, 0, tzinfo=UTC)
NEXT_PLANNING = datetime(2026, 7, 13, 7, 0, tzinfo=UTC)

CURRENT = datetime(2026, 2, 10, 12, 0, tzinfo=UTC)  # inside both current periods
EARLIER = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)  # monthly: the period before
LAST_QUARTER = datetime(2025, 11, 20, 12, 0, tzinfo=UTC)  # quarterly: the period before


# The example meetings, set long before any of the data below; their agendas' lead times.
SET_AT = datetime(2025, 6, 1, tzinfo=UTC)
LEAD = {"monthly": timedelta(days=2), "quarterly": timedelta(days=1)}
MINUTE = timedelta(minutes=1)
AMOUNT = Decimal(1000)


def seed(engine: Engine, *, now: datetime, then: datetime, team: str = "T1") -> None:
    """Known numbers: the period before (`then`) and the current one (`now`)."""
    with session_scope(engine) as s:
        rate = partial(add_rating, session=s, team_id=team)
        post = partial(add_intel, session=s, team_id=team)
        report = partial(add_result, session=s, team_id=team, amount=AMOUNT, reason="good fit")
        vote = partial(add_vote, session=s, team_id=team)
        # Before: Q3 webinar 2.0, Trade show 4.0; Acme named; lost to Acme on price; 1 win.
        for i in range(2):
            rate(lead=f"OLD-{i}", score=2, campaign="Q3 webinar", reason="x" * 12, at=then)
            rate(lead=f"OLDT-{i}", score=4, campaign="Trade show", at=then)
        post(subject="Acme", text="news about Acme", at=then)
        report(outcome="loss", deal="DEAL-1", competitor="Acme", reason="price too high", at=then)
        report(outcome="win", deal="DEAL-2", at=then)
        old_deck = add_collateral(session=s, team_id=team, title="Old deck", user_id="U9", at=then)
        vote(collateral_id=old_deck, user_id="U1", vote="helpful", at=then)
        # Now: Q3 webinar 4.5, Trade show 3.0, Partner 1.0 (average 3.25 over 4).
        rate(lead="ACME-1", score=4, campaign="Q3 webinar", criteria={"need": True}, at=now)
        rate(lead="ACME-2", score=5, campaign="Q3 webinar", user_id="U2", at=now)
        rate(lead="ACME-3", score=3, campaign="Trade show", criteria={"budget": False}, at=now)
        rate(
            lead="ACME-4",
            score=1,
            campaign="Partner <referral>",
            criteria={"budget": False, "authority": False},
            reason="contact left the company",
            at=now,
        )
        post(subject="Acme", text="news about Acme", author="U1", at=now)
        post(subject="Acme", text="news about Acme", author="U2", at=now)
        for author in ("U3", "U3", "U1"):
            post(
                subject="Initech", text="news about Initech", author=author, channel_id="C7", at=now
            )
        link = "https://t.slack.com/archives/C1/p1700000000000100"
        post(
            kind="customer",
            subject="Globex",
            text="news about Globex",
            author="U4",
            permalink=link,
            at=now,
        )
        report(outcome="win", deal="DEAL-10", at=now)
        report(outcome="win", deal="DEAL-11", at=now)
        report(outcome="loss", deal="DEAL-12", competitor="Initech", reason="missing SSO", at=now)
        report(outcome="loss", deal="DEAL-13", competitor="Acme", reason="Price too high", at=now)
        deck = add_collateral(
            session=s, team_id=team, title="Hotel <b>case</b> & study", user_id="U9", at=now
        )
        for user, choice in (("U1", "helpful"), ("U2", "helpful"), ("U3", "used")):
            vote(collateral_id=deck, user_id=user, vote=choice, at=now)
        add_term(session=s, team_id=team, term="MQL", definition="Qualified.", at=now)


def seed_other_team(engine: Engine, at: datetime) -> None:
    with session_scope(engine) as s:
        add_rating(
            session=s, team_id="T2", lead="SECRET-1", score=5, campaign="Secret campaign", at=at
        )
        add_intel(session=s, team_id="T2", subject="Hooli", text="news about Hooli", at=at)
        add_result(
            session=s,
            team_id="T2",
            outcome="loss",
            deal="SECRET-DEAL",
            competitor="Hooli",
            reason="secret reason",
            at=at,
        )
        add_collateral(session=s, team_id="T2", title="Secret deck", at=at)


def agenda_for(engine: Engine, kind: str = "monthly") -> Agenda:
    at, now = (MONTHLY_AT, MONTHLY_NOW) if kind == "monthly" else (QUARTERLY_AT, QUARTERLY_NOW)
    with session_scope(engine) as session:
        cadence = make_cadence(session=session, kind=kind, lead=LEAD[kind], now=SET_AT)
        return build_agenda(session=session, cadence=cadence, occurrence=at, now=now)


def text_of(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def thread_text(agenda: Agenda) -> str:
    return "\n".join(text_of(reply) for reply in agenda.thread)


def changes_lines(agenda: Agenda) -> list[str]:
    section = next(b for b in agenda.blocks if "five biggest changes" in text_of([b]))
    return section["text"]["text"].splitlines()[1:]


def test_monthly_counts_and_averages(engine: Engine) -> None:
    """The monthly thread counts the period's ratings, intel, deals and collateral correctly."""
    seed(engine, now=CURRENT, then=EARLIER)
    agenda = agenda_for(engine)
    detail = thread_text(agenda)
    assert "*4 ratings*, average *3.2*/5" in detail  # 13 / 4 = 3.25
    assert "*Q3 webinar* — 4.5/5 from 2 ratings" in detail
    assert "*Trade show* — 3/5 from 1 rating · unmet: budget (1)" in detail
    assert "Most common unmet criteria: budget (2), authority (1)" in detail
    assert "Best campaign: *Q3 webinar* (4.5/5) · worst: *Partner &lt;referral&gt;* (1/5)" in detail
    assert "“contact left the company”" in detail
    assert "*6 posts*: competitor 5 · customer 1" in detail
    assert "*Initech* — 3 mentions, by <@U3>, <@U1>" in detail
    assert "*Acme* — 2 mentions, by <@U1>, <@U2>" in detail
    assert detail.index("*Initech*") < detail.index("*Acme* — 2")
    assert "*2* won · *2* lost · win rate *50%*" in detail
    assert "“Price too high” (1 loss)" in detail
    assert "*Initech* (1 loss)" in detail
    assert "*1 new item*, *3 votes* cast" in detail
    assert "2 helpful, 0 not helpful, used in 1 deal" in detail
    assert "*Nobody voted for or used*" in detail and "Old deck" in detail
    assert "*MQL* — Qualified." in detail
    assert "Field-intel meeting agenda" in agenda.text
    assert not agenda.files


def test_deal_amounts_keep_their_currencies(engine: Engine) -> None:
    """Amounts are summed per currency as reported, and one without a currency stays bare."""
    seed(engine, now=CURRENT, then=EARLIER)
    with session_scope(engine) as s:
        report = partial(add_result, session=s, outcome="win", reason="fit", at=CURRENT)
        report(deal="USD-1", amount=Decimal(48000), currency="USD")
        report(deal="EUR-1", amount=Decimal("1200.50"), currency="EUR")
    detail = thread_text(agenda_for(engine))
    assert "Amount won $48,000 + 2,000 + €1,200.50 · lost 2,000" in detail


def test_monthly_links_and_escapes(engine: Engine) -> None:
    """Items link to their source and user text is escaped, link labels included."""
    seed(engine, now=CURRENT, then=EARLIER)
    detail = thread_text(agenda_for(engine))
    assert "<https://t.slack.com/archives/C1/p1700000000000100|*customer: Globex*>" in detail
    assert "|Hotel &lt;b&gt;case&lt;/b&gt; &amp; study>" in detail
    assert "— news about Initech (<@U3> in <#C7>)" in detail
    assert "<b>" not in detail


def test_five_biggest_changes(engine: Engine) -> None:
    """The top message opens with campaign moves, new competitors and new loss reasons in turn."""
    seed(engine, now=CURRENT, then=EARLIER)
    agenda = agenda_for(engine)
    assert changes_lines(agenda) == [
        "1. Lead score of *Q3 webinar* ▲ rose to *4.5*/5 (from 2)",
        "2. :new: New competitor: *Initech* (named 4 times)",
        "3. :new: New loss reason: “missing SSO” (1 loss)",
        "4. Lead score of *Trade show* ▼ fell to *3*/5 (from 4)",
        "5. Average lead score ▲ rose to *3.2*/5 (from 3)",
    ]
    top = text_of(agenda.blocks)
    assert "The full detail is in this message's thread" in top
    assert "4 ratings, average 3.2/5" in top


def test_monthly_win_rate_is_weighed_against_the_month_before(engine: Engine) -> None:
    """With little else moving, the monthly top message gives the win rate's move from the
    month before (the monthly agenda measures only the headline figures of that month)."""
    with session_scope(engine) as s:
        report = partial(add_result, session=s, reason="fit")
        report(outcome="win", deal="OLD-1", at=EARLIER)
        report(outcome="loss", deal="OLD-2", at=EARLIER)
        for deal in ("NEW-1", "NEW-2", "NEW-3"):
            report(outcome="win", deal=deal, at=CURRENT)
        report(outcome="loss", deal="NEW-4", at=CURRENT)
        report(outcome="win", deal="QUARTER-AGO", at=LAST_QUARTER)  # not in the month before
    assert changes_lines(agenda_for(engine)) == ["1. Win rate ▲ rose to *75%* (from 50%)"]


def test_other_workspaces_data_is_left_out(engine: Engine) -> None:
    """A workspace's agenda shows nothing another workspace posted."""
    seed(engine, now=CURRENT, then=EARLIER)
    seed_other_team(engine, CURRENT)
    agenda = agenda_for(engine)
    everything = text_of(agenda.blocks) + thread_text(agenda)
    for secret in ("Secret", "Hooli", "SECRET", "secret reason"):
        assert secret not in everything
    assert "*4 ratings*" in everything


def test_a_new_cadence_covers_the_rule_s_previous_meeting(engine: Engine) -> None:
    """A cadence set just now still reports everything since its rule's previous meeting."""
    seed(engine, now=CURRENT, then=EARLIER)
    with session_scope(engine) as session:
        fresh = make_cadence(session=session, lead=LEAD["monthly"], now=MONTHLY_NOW - 5 * MINUTE)
        agenda = build_agenda(
            session=session, cadence=fresh, occurrence=MONTHLY_AT, now=MONTHLY_NOW
        )
    detail = thread_text(agenda)
    # CURRENT (10 Feb) is after the rule's 3 Feb meeting; EARLIER (10 Jan) is not.
    assert "*4 ratings*" in detail and "OLD-0" not in detail
    assert "covering <!date^" + str(int(datetime(2026, 2, 3, 15, tzinfo=UTC).timestamp())) in (
        text_of(agenda.blocks)
    )


def test_limits_and_block_kit(engine: Engine) -> None:
    """The top message has at most 15 blocks and each reply at most 50, all valid Block Kit."""
    seed(engine, now=CURRENT, then=EARLIER)
    with session_scope(engine) as s:
        for i in range(120):
            add_intel(session=s, kind="market", subject=None, author="U5", at=CURRENT + i * MINUTE)
            add_rating(
                session=s,
                lead=f"BULK-{i}",
                score=1,
                campaign=f"Campaign {i}",
                reason="y" * 300,
                at=CURRENT,
            )
    agenda = agenda_for(engine)
    check_blocks(agenda.blocks, limit=15)
    assert agenda.thread
    for reply in agenda.thread:
        check_blocks(reply, limit=50)
    detail = thread_text(agenda)
    assert "…and 93 more campaigns" in detail  # 123 campaigns, the 30 most rated shown
    assert "market: " not in detail and detail.count("*market*") == 60  # newest 60 posts


def test_long_lists_are_split_into_sections() -> None:
    """A list longer than one section's 3,000 characters spreads over several sections."""
    blocks = sections([f"item {i} " + "z" * 200 for i in range(40)], title="*Title*")
    assert len(blocks) > 2
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks)
    assert sum(b["text"]["text"].count("• item") for b in blocks) == 40


def test_long_topics_are_split_into_replies_of_50_blocks() -> None:
    """A topic of more than 50 blocks becomes several thread replies, none over 50."""
    long_topic = [{"type": "divider"}] * 120
    replies = messages([long_topic, [{"type": "divider"}]])
    assert [len(r) for r in replies] == [50, 50, 20, 1]


def test_empty_period(engine: Engine) -> None:
    """With nothing posted, the agenda says so and shows what to post."""
    agenda = agenda_for(engine)
    top = text_of(agenda.blocks)
    assert "Nothing was posted since the last meeting" in top
    assert "/lead ACME-42 4" in top and "/intel competitor:Acme" in top
    assert "nothing was posted" in agenda.text
    assert "No leads were rated" in thread_text(agenda)
    check_blocks(agenda.blocks, limit=15)


def test_empty_quarter_beside_the_one_before(engine: Engine) -> None:
    """A quarter with nothing posted still shows last quarter's figures beside its empty topics."""
    with session_scope(engine) as s:
        add_intel(session=s, subject="Acme", at=LAST_QUARTER)
    agenda = agenda_for(engine, "quarterly")
    assert "Nothing was posted since the last meeting" in text_of(agenda.blocks)
    detail = thread_text(agenda)
    assert "No intel was posted. Post some: `/intel competitor:Acme" in detail
    assert "(last quarter: 1 post)" in detail
    assert "(last quarter: 0 won, 0 lost)" in detail


def test_quarterly_comparison_charts_and_invite(engine: Engine) -> None:
    """The quarterly agenda sets measures beside last quarter, with charts and an .ics invite."""
    seed(engine, now=CURRENT, then=LAST_QUARTER)
    agenda = agenda_for(engine, "quarterly")
    detail = thread_text(agenda)
    assert "*4 ratings* ▲ from 4" not in detail  # 4 then, 4 now: level
    assert "*4 ratings* = same as last quarter" in detail
    assert "average *3.2*/5 ▲ from 3" in detail
    assert "*Q3 webinar* — 4.5/5 from 2 ratings ▲ from 2" in detail
    assert "*2* won ▲ from 1 · *2* lost ▲ from 1 · win rate *50%* = same as last quarter" in detail
    assert "*Initech* — 3 mentions, by <@U3>, <@U1> ▲ from 0" in detail
    assert "*Partner &lt;referral&gt;* — 1/5 from 1 rating (new this quarter)" in detail
    fields = next(b for b in agenda.blocks if "fields" in b)["fields"]
    assert fields[0]["text"] == "*Leads*\n4 ratings = same as last quarter, average 3.2/5 ▲ from 3"
    pngs = [f for f in agenda.files if f.filename.endswith(".png")]
    assert {"lead-score-by-campaign.png", "wins-and-losses.png"} <= {f.filename for f in pngs}
    assert all(f.content.startswith(PNG_SIGNATURE) for f in pngs)
    [ics] = [f for f in agenda.files if f.filename == "next-planning-meeting.ics"]
    [event] = icalendar.Calendar.from_ical(ics.content).walk("VEVENT")
    assert event.decoded("dtstart") == NEXT_PLANNING
    assert str(event["uid"]) == "tandem-T1-quarterly-20260713T0700Z@tandem"
    assert f"<!date^{int(NEXT_PLANNING.timestamp())}^" in text_of(agenda.blocks)
    assert "Quarterly planning meeting agenda" in agenda.text
    check_blocks(agenda.blocks, limit=15)


def test_agenda_is_stable_for_the_same_instant(engine: Engine) -> None:
    """Built twice for the same `now`, the agenda is the same, invitation included."""
    seed(engine, now=CURRENT, then=LAST_QUARTER)
    first, second = agenda_for(engine, "quarterly"), agenda_for(engine, "quarterly")
    assert first.blocks == second.blocks and first.thread == second.thread
    assert first.files[-1].content == second.files[-1].content


@pytest.mark.parametrize(
    ("kind", "words"), [("monthly", "field-intel meeting"), ("quarterly", "planning meeting")]
)
def test_starting_now(kind: str, words: str) -> None:
    """The "starting now" reminder is one short, valid section naming the meeting."""
    text, blocks = starting_now(
        cadence=make_cadence(kind=kind, lead=LEAD[kind], now=SET_AT), occurrence=MONTHLY_AT
    )
    assert words in text and "starts now" in text
    check_blocks(blocks, limit=1)
