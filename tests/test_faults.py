"""With the database down, people still get an answer that says nothing was saved."""

from __future__ import annotations

import pytest

from core.wording import SORRY_STORAGE
from tests.forms import selected, text_value, view_submission
from tests.slack_client import SignedSlack, reply_text


@pytest.mark.parametrize(
    ("command", "text"),
    [
        ("/lead", "ACME-42 4 fine"),
        ("/lead", "stats"),
        ("/intel", "competitor:Acme cut prices"),
        ("/intel", "search price"),
        ("/winloss", "win DEAL-1 champion pushed it"),
        ("/glossary", "set MQL = Marketing Qualified Lead"),
        ("/glossary", "MQL"),
        ("/collateral", "find #hotels"),
        ("/cadence", "list"),
        ("/cadence", "preview monthly"),
    ],
)
async def test_commands_apologise(down: SignedSlack, command: str, text: str) -> None:
    """A command that cannot reach the database answers 200 with an apology."""
    response = await down.command(command, text)
    assert response.status_code == 200
    assert reply_text(response) == SORRY_STORAGE


async def test_form_apologises(down: SignedSlack) -> None:
    """A form submitted while the database is down says nothing was saved."""
    values = {"lead": text_value("ACME-42"), "score": selected("4")}
    response = await down.interaction(view_submission("lead_rating_form", values))
    assert response.status_code == 200
    answer = response.json()
    assert answer["response_action"] in {"errors", "update"}
    assert "nothing was saved" in str(answer)
