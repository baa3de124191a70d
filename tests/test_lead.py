"""`/lead` through signed requests, on SQLite and PostgreSQL."""

from __future__ import annotations

import time

import pytest

from handlers.lead import FORM as FORM_ID
from handlers.lead.parse import parse_rating
from tests.fake_slack import FakeSlack
from tests.forms import check_view, selected, text_value, view_submission
from tests.slack_client import SignedSlack, reply_text

EXAMPLE = 'ACME-42 2 campaign:"Q3 webinar" -budget +need contact left the company'


def test_parse_example() -> None:
    """The SPEC example parses into its parts."""
    rating = parse_rating(EXAMPLE)
    assert rating.lead_ref == "ACME-42"
    assert rating.score == 2
    assert rating.campaign == "Q3 webinar"
    assert rating.criteria == {"budget": False, "need": True}
    assert rating.reason == "contact left the company"


@pytest.mark.parametrize("text", ["X 4/5 fine", "X 4 fine"])
def test_score_forms(text: str) -> None:
    """A score may be written `4` or `4/5`."""
    assert parse_rating(text).score == 4


async def stats(slack: SignedSlack, *, team: str = "T1", text: str = "stats") -> str:
    response = await slack.command("/lead", text, team=team)
    assert response.status_code == 200
    return reply_text(response)


async def test_rate_then_stats(slack: SignedSlack) -> None:
    """A rating is confirmed ephemerally and then counted by `/lead stats`."""
    response = await slack.command("/lead", EXAMPLE)
    assert response.status_code == 200
    # A plain-text ack is shown to the invoking user only.
    assert response.headers["content-type"].startswith("text/plain")
    assert "Saved" in response.text and "ACME-42" in response.text
    summary = await stats(slack)
    assert "1 rating, average *2.0*/5" in summary
    assert "*Q3 webinar*" in summary
    assert "budget (1)" in summary
    assert "need (" not in summary


@pytest.mark.parametrize(
    "text",
    ["ACME-42 1 bad", "ACME-42 6 lovely lead here", "ACME-42 five lovely lead", "4 lovely lead"],
)
async def test_bad_input_changes_nothing(slack: SignedSlack, text: str) -> None:
    """Bad input gets the right form back and stores nothing."""
    response = await slack.command("/lead", text)
    assert response.status_code == 200
    assert "/lead LEAD SCORE" in reply_text(response)
    assert "No ratings yet" in await stats(slack)


async def test_rerating_replaces(slack: SignedSlack) -> None:
    """The same rep rating the same lead again replaces the earlier rating."""
    await slack.command("/lead", "ACME-42 2 campaign:web the budget is gone")
    response = await slack.command("/lead", "acme-42 5 campaign:web they found budget")
    assert "replaces your earlier rating" in reply_text(response)
    summary = await stats(slack)
    assert "1 rating, average *5.0*/5" in summary


async def test_other_reps_add_up(slack: SignedSlack) -> None:
    """Two reps rating one lead make two ratings."""
    await slack.command("/lead", "ACME-42 4 fine", user="U1")
    await slack.command("/lead", "ACME-42 2 too small for us", user="U2")
    assert "2 ratings, average *3.0*/5" in await stats(slack)


async def test_workspaces_are_apart(slack: SignedSlack) -> None:
    """Ratings from one workspace never appear in another's stats."""
    await slack.command("/lead", "ACME-42 4 fine", team="T1")
    assert "No ratings yet" in await stats(slack, team="T2")
    assert "1 rating" in await stats(slack, team="T1")


async def test_stats_filters(slack: SignedSlack) -> None:
    """`campaign:` narrows the stats; a bad `days:` is refused."""
    await slack.command("/lead", "A-1 4 campaign:web fine")
    await slack.command("/lead", "A-2 3 campaign:events okay-ish")
    assert "1 rating, average *3.0*/5" in await stats(slack, text="stats campaign:events")
    assert "days: takes a whole number" in await stats(slack, text="stats days:lots")


@pytest.mark.parametrize(
    ("age", "signed", "secret"), [(0, False, None), (0, True, "wrong"), (360, True, None)]
)
async def test_bad_signatures(
    slack: SignedSlack, age: int, signed: bool, secret: str | None
) -> None:
    """Unsigned, wrongly signed or stale requests get 401 and store nothing."""
    response = await slack.command("/lead", "ACME-42 4 fine", age=age, signed=signed, secret=secret)
    assert response.status_code == 401
    assert "No ratings yet" in await stats(slack)


async def test_help_and_modal(slack: SignedSlack, slack_api: FakeSlack) -> None:
    """`/lead help` shows the usage; `/lead` alone opens the rating form."""
    assert "/lead LEAD SCORE" in reply_text(await slack.command("/lead", "help"))
    response = await slack.command("/lead", "")
    assert response.status_code == 200
    (opened,) = slack_api.sent("views.open")
    assert opened["trigger_id"] == "1337.42.abcd"
    check_view(opened["view"])
    assert opened["view"]["callback_id"] == FORM_ID


async def test_form_stores_the_same_rating(slack: SignedSlack) -> None:
    """Submitting the form stores a rating just as the command does."""
    values = {
        "lead": text_value("ACME-42"),
        "score": selected("2"),
        "campaign": text_value("Q3 webinar"),
        "unmet": {"type": "checkboxes", "selected_options": [{"value": "budget"}]},
        "reason": text_value("contact left the company"),
    }
    response = await slack.interaction(view_submission(FORM_ID, values))
    assert response.status_code == 200
    assert response.json()["response_action"] == "update"
    summary = await stats(slack)
    assert "1 rating, average *2.0*/5" in summary and "budget (1)" in summary


async def test_form_errors_name_the_field(slack: SignedSlack) -> None:
    """A low score without a reason in the form is refused next to the reason field."""
    values = {
        "lead": text_value("ACME-42"),
        "score": selected("1"),
        "reason": text_value("bad"),
    }
    response = await slack.interaction(view_submission(FORM_ID, values))
    assert response.json()["response_action"] == "errors"
    assert "reason" in response.json()["errors"]
    assert "No ratings yet" in await stats(slack)


async def test_stored_text_never_becomes_a_mention(slack: SignedSlack) -> None:
    """Typed `<!channel>` or a real mention in a campaign is shown back as text, not a ping."""
    await slack.command("/lead", 'X-1 4 campaign:"&lt;!channel&gt; <@U999|bob> <!here>" fine')
    summary = await stats(slack)
    assert "&lt;!channel&gt; @bob @here" in summary
    assert "<!channel>" not in summary and "<@U999" not in summary and "<!here>" not in summary


async def test_answers_well_within_three_seconds(slack: SignedSlack) -> None:
    """A rating is confirmed well inside Slack's three-second limit."""
    started = time.monotonic()
    response = await slack.command("/lead", EXAMPLE)
    assert "Saved" in reply_text(response)
    assert time.monotonic() - started < 1.0


async def test_refusals_quote_input_as_text(slack: SignedSlack) -> None:
    """A refusal that quotes the input back never turns it into a mention."""
    text = reply_text(await slack.command("/lead", "ACME-42 &lt;!channel&gt; fine lead"))
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text


async def test_stats_refusal_quotes_input_as_text(slack: SignedSlack) -> None:
    """A `/lead stats` refusal quoting the input never turns it into a mention."""
    text = await stats(slack, text="stats &lt;!channel&gt;")
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text
