"""`/winloss` and its form through signed requests, and its sums, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from core.money import format_sums
from handlers.winloss import FORM as FORM_ID
from handlers.winloss.parse import ResultError, parse_amount, parse_money, parse_result
from storage.db import session_scope
from storage.models import WinLoss
from storage.winloss import (
    NewResult,
    WinLossSummary,
    loss_competitors,
    top_loss_reasons,
    winloss_summary,
)
from tests.factories import add_result
from tests.fake_slack import FakeSlack
from tests.forms import check_view, refused_field, selected, text_value, view_submission
from tests.slack_client import SignedSlack, reply_text

EXAMPLE = 'loss DEAL-7 competitor:Acme amount:48000 campaign:"Q3 webinar" price was 30% higher'
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
EVER = {"since": datetime(2000, 1, 1, tzinfo=UTC), "until": datetime(2100, 1, 1, tzinfo=UTC)}


def test_parse_example() -> None:
    """The SPEC example parses into its parts."""
    assert parse_result(EXAMPLE) == NewResult(
        outcome="loss",
        deal_ref="DEAL-7",
        competitor="Acme",
        amount=Decimal("48000"),
        campaign="Q3 webinar",
        reason="price was 30% higher",
    )
    assert parse_result("WON deal-9 champion signed").outcome == "win"


@pytest.mark.parametrize(
    ("text", "amount"),
    [("$48,000", "48000"), ("48000", "48000"), ("€1,200.50", "1200.50"), ("£7.5", "7.5")],
)
def test_amounts(text: str, amount: str) -> None:
    """Amounts may carry thousands commas, cents and a currency sign."""
    assert parse_amount(text) == Decimal(amount)


@pytest.mark.parametrize(
    ("text", "currency"),
    [("$48,000", "USD"), ("48000", None), ("€1,200.50", "EUR"), ("48000 chf", "CHF"),
     ("GBP7.5", "GBP"), ("48000¥", "JPY")],
)  # fmt: skip
def test_amounts_keep_their_currency(text: str, currency: str | None) -> None:
    """A sign or an ISO code before or after the number is kept as the deal's currency."""
    assert parse_money(text)[1] == currency


@pytest.mark.parametrize("text", ["48000 XYZ", "$48,000 EUR", "€"])
def test_an_unknown_or_second_currency_is_refused(text: str) -> None:
    """A code Tandem does not know, or two currencies at once, is refused as the amount."""
    assert refused_field(parse_money, ResultError, text) == "amount"


async def test_amounts_are_shown_in_their_currencies(slack: SignedSlack, engine: Engine) -> None:
    """The receipt shows the amount as given; sums are kept apart by currency, never mixed."""
    response = await slack.command("/winloss", "win DEAL-1 amount:$48,000 fast rollout")
    assert "amount $48,000" in response.text
    await slack.command("/winloss", "win DEAL-2 amount:€1,200.50 the integration")
    await slack.command("/winloss", "win DEAL-3 amount:$2,000 a referral")
    await slack.command("/winloss", "win DEAL-4 amount:300 no currency given")
    won = summary(engine).won
    assert won == (("USD", Decimal("50000")), ("EUR", Decimal("1200.50")), (None, Decimal("300")))
    assert format_sums(won) == "$50,000 + €1,200.50 + 300"


def summary(engine: Engine, *, team_id: str = "T1") -> WinLossSummary:
    with Session(engine) as session:
        return winloss_summary(session=session, team_id=team_id, **EVER)


async def test_report(slack: SignedSlack, engine: Engine) -> None:
    """A report is confirmed ephemerally and stored."""
    response = await slack.command("/winloss", EXAMPLE)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == ("Saved: *DEAL-7* lost to Acme, amount 48,000, campaign Q3 webinar.")
    assert summary(engine) == WinLossSummary(
        wins=0,
        losses=1,
        win_rate=0.0,
        amount_won=Decimal("0"),
        amount_lost=Decimal("48000"),
        lost=((None, Decimal("48000")),),
    )


@pytest.mark.parametrize(
    "text", ["loss DEAL-8", "loss DEAL-8 amount:lots too pricey", "rumor DEAL-8 no idea"]
)
async def test_bad_input_changes_nothing(slack: SignedSlack, engine: Engine, text: str) -> None:
    """Bad input gets the right form back and stores nothing."""
    reply = reply_text(await slack.command("/winloss", text))
    assert "/winloss win|loss DEAL" in reply
    assert summary(engine).wins + summary(engine).losses == 0


async def test_reporting_again_replaces(slack: SignedSlack, engine: Engine) -> None:
    """Reporting a deal again replaces the earlier report, and the confirmation says so."""
    await slack.command("/winloss", "loss DEAL-8 amount:$5,000 went quiet", user="U1")
    response = await slack.command("/winloss", "win deal-8 amount:$6,000 came back", user="U2")
    assert "This replaces the earlier report of this deal (a loss)." in response.text
    assert summary(engine) == WinLossSummary(
        wins=1,
        losses=0,
        win_rate=1.0,
        amount_won=Decimal("6000"),
        amount_lost=Decimal("0"),
        won=(("USD", Decimal("6000")),),
    )
    with Session(engine) as session:
        (latest,) = session.scalars(select(WinLoss)).all()
    assert (latest.deal_ref, latest.user_id, latest.reason) == ("deal-8", "U2", "came back")


async def test_workspaces_are_apart(slack: SignedSlack, engine: Engine) -> None:
    """The same deal reference in two workspaces is two deals, each counted at home."""
    await slack.command("/winloss", "win DEAL-1 great fit", team="T1")
    await slack.command("/winloss", "loss DEAL-1 no budget", team="T2")
    assert (summary(engine, team_id="T1").wins, summary(engine, team_id="T1").losses) == (1, 0)
    assert (summary(engine, team_id="T2").wins, summary(engine, team_id="T2").losses) == (0, 1)


async def test_escapes_what_it_shows(slack: SignedSlack) -> None:
    """Names echoed in the confirmation are escaped, never live mentions."""
    response = await slack.command("/winloss", "loss <!channel> competitor:<@U9|acme> too pricey")
    assert "<!channel>" not in response.text and "<@U9" not in response.text
    assert "*@channel* lost to @acme" in response.text


async def test_help_and_modal(slack: SignedSlack, slack_api: FakeSlack) -> None:
    """`/winloss help` shows the usage; `/winloss` alone opens the report form."""
    assert "/winloss win|loss DEAL" in reply_text(await slack.command("/winloss", "help"))
    assert (await slack.command("/winloss", "")).status_code == 200
    (opened,) = slack_api.sent("views.open")
    check_view(opened["view"])
    assert opened["view"]["callback_id"] == FORM_ID


async def test_form_stores_the_same_report(slack: SignedSlack, engine: Engine) -> None:
    """Submitting the form stores a report just as the command does."""
    values = {
        "outcome": selected("win"),
        "deal": text_value("DEAL-3"),
        "amount": text_value("€1,200.50"),
        "reason": text_value("best integration story"),
    }
    response = await slack.interaction(view_submission(FORM_ID, values))
    assert response.json()["response_action"] == "update"
    check_view(response.json()["view"])
    assert summary(engine).won == (("EUR", Decimal("1200.50")),)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        (
            {"deal": text_value("DEAL-3"), "amount": text_value("lots"), "reason": text_value("x")},
            "amount",
        ),
        ({"deal": text_value("DEAL-3")}, "reason"),
    ],
)
async def test_form_errors_name_the_field(
    slack: SignedSlack, engine: Engine, values: dict[str, Any], field: str
) -> None:
    """A bad amount or a missing reason in the form is refused next to its field."""
    values = {"outcome": selected("loss"), "reason": text_value(""), **values}
    response = await slack.interaction(view_submission(FORM_ID, values))
    assert response.json()["response_action"] == "errors"
    assert list(response.json()["errors"]) == [field]
    assert summary(engine).losses == 0


def test_aggregations(engine: Engine) -> None:
    """Summary, loss reasons and loss competitors cover one workspace and one period only."""
    hour = timedelta(hours=1)
    with session_scope(engine) as session:
        win = partial(add_result, session=session, outcome="win")
        loss = partial(add_result, session=session, outcome="loss", reason="timing")
        win(deal="D1", amount=Decimal("1000.25"), at=T0)
        win(deal="D2", at=T0 + hour)
        loss(deal="D3", amount=Decimal("500"), competitor="Acme", reason="Price", at=T0)
        loss(deal="D4", competitor="ACME", reason="price", at=T0 + hour)
        loss(deal="D5", competitor="Initech", at=T0 + 2 * hour)
        loss(deal="D6", competitor="Initech", at=T0 - hour)
        loss(deal="D7", at=T0 + timedelta(days=1))
        loss(deal="D8", competitor="Initech", team_id="T2", at=T0)
    period: dict[str, Any] = {"team_id": "T1", "since": T0, "until": T0 + timedelta(days=1)}
    with Session(engine) as session:
        assert winloss_summary(session=session, **period) == WinLossSummary(
            wins=2,
            losses=3,
            win_rate=0.4,
            amount_won=Decimal("1000.25"),
            amount_lost=Decimal("500"),
            won=((None, Decimal("1000.25")),),
            lost=((None, Decimal("500")),),
        )
        (top, second) = top_loss_reasons(session=session, **period)
        assert (top[0].casefold(), top[1]) == ("price", 2)
        assert second == ("timing", 1)
        assert top_loss_reasons(session=session, **period, limit=1) == [top]
        (acme, initech) = loss_competitors(session=session, **period)
        assert (acme[0].casefold(), acme[1]) == ("acme", 2)
        assert initech == ("Initech", 1)
        empty = winloss_summary(session=session, team_id="T3", since=T0, until=T0)
        assert empty == WinLossSummary(0, 0, None, Decimal("0"), Decimal("0"))
