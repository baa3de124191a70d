"""`/glossary` through signed requests, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from handlers.glossary import FORM as FORM_ID
from handlers.glossary.parse import GlossaryError, parse_definition
from tests.fake_slack import FakeSlack
from tests.forms import text_value, view_submission
from tests.slack_client import SignedSlack, reply_text


def test_parse_definition() -> None:
    """`TERM = definition` splits at the first equals sign."""
    entry = parse_definition("MQL = Marketing Qualified Lead: score >= 50")
    assert (entry.term, entry.definition) == ("MQL", "Marketing Qualified Lead: score >= 50")


@pytest.mark.parametrize(
    ("text", "field"),
    [("MQL", "term"), ("= only a definition", "term"), ("MQL =", "definition"), ("", "term")],
)
def test_bad_definitions(text: str, field: str) -> None:
    """A definition needs a term, an equals sign and some text; the error names the part."""
    with pytest.raises(GlossaryError) as caught:
        parse_definition(text)
    assert caught.value.field == field


async def glossary(slack: SignedSlack, text: str, *, team: str = "T1") -> str:
    response = await slack.command("/glossary", text, team=team)
    assert response.status_code == 200
    return reply_text(response)


async def test_define_look_up_and_change(slack: SignedSlack) -> None:
    """A term is defined, found case-insensitively, changed, and listed once."""
    assert "Defined *MQL*" in await glossary(slack, "set MQL = Marketing Qualified Lead")
    assert "*MQL*: Marketing Qualified Lead" in await glossary(slack, "mql")
    assert "Changed *mql*" in await glossary(slack, "set mql = Marketing Qualified Lead v2")
    listing = await glossary(slack, "list")
    assert listing.count("Marketing Qualified Lead") == 1 and "v2" in listing


async def test_unknown_term_says_how_to_define_it(slack: SignedSlack) -> None:
    """Looking up a missing term explains how to define it."""
    assert "not in the glossary yet" in await glossary(slack, "SQL")


async def test_bad_input_changes_nothing(slack: SignedSlack) -> None:
    """`set` without an equals sign shows the right form and stores nothing."""
    reply = await glossary(slack, "set MQL Marketing Qualified Lead")
    assert "/glossary set MQL = " in reply
    assert "No terms yet" in await glossary(slack, "list")


async def test_workspaces_are_apart(slack: SignedSlack) -> None:
    """One workspace's terms are not another's."""
    await glossary(slack, "set MQL = Marketing Qualified Lead", team="T1")
    assert "not in the glossary yet" in await glossary(slack, "MQL", team="T2")


async def test_definitions_never_ping(slack: SignedSlack) -> None:
    """A definition holding `<!channel>` or a mention is shown back as text."""
    await glossary(slack, "set ping = &lt;!channel&gt; and <!here> and <@U1|ann>")
    shown = await glossary(slack, "ping")
    assert "&lt;!channel&gt;" in shown and "<!channel>" not in shown and "<!here>" not in shown


async def test_form_defines_a_term(slack: SignedSlack, slack_api: FakeSlack) -> None:
    """`/glossary` alone opens a form; submitting it defines the term."""
    await slack.command("/glossary", "")
    (opened,) = slack_api.sent("views.open")
    assert opened["view"]["callback_id"] == FORM_ID
    values = {"term": text_value("SQL"), "definition": text_value("Sales Qualified Lead")}
    response = await slack.interaction(view_submission(FORM_ID, values))
    assert response.json()["response_action"] == "update"
    assert "*SQL*: Sales Qualified Lead" in await glossary(slack, "SQL")


async def test_form_errors_name_the_field(slack: SignedSlack) -> None:
    """A form without a definition is refused beside that field, and stores nothing."""
    values = {"term": text_value("SQL"), "definition": text_value("  ")}
    response = await slack.interaction(view_submission(FORM_ID, values))
    assert response.json() == {
        "response_action": "errors",
        "errors": {"definition": "What does the term mean? Give its definition."},
    }
    assert "not in the glossary yet" in await glossary(slack, "SQL")
