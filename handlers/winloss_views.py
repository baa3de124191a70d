"""Block Kit for `/winloss`: the report form."""

from __future__ import annotations

from typing import Any

from handlers.forms import Submission, View, input_block, modal, static_select, text_input

FORM_ID = "winloss_form"
TITLE = "Report a win or loss"


def report_form(*, channel_id: str) -> View:
    """The modal `/winloss` opens when typed on its own."""
    outcomes = static_select((("Won", "win"), ("Lost", "loss")))
    return modal(
        callback_id=FORM_ID,
        title=TITLE,
        private_metadata=channel_id,
        blocks=[
            input_block("outcome", "Outcome", outcomes),
            input_block("deal", "Deal", text_input("DEAL-7")),
            input_block("competitor", "Competitor", text_input("Acme"), optional=True),
            input_block("amount", "Amount", text_input("48,000"), optional=True),
            input_block("campaign", "Campaign", text_input("Q3 webinar"), optional=True),
            input_block("reason", "Why?", text_input("Price was 30% higher", multiline=True)),
        ],
    )


def read_form(view: dict[str, Any]) -> dict[str, Any]:
    """The submitted form's values, as `build_result` keyword arguments."""
    form = Submission.of(view)
    return {
        "outcome": form.choice("outcome"),
        "deal_ref": form.value("deal"),
        "competitor": form.value("competitor") or None,
        "amount": form.value("amount") or None,
        "campaign": form.value("campaign") or None,
        "reason": form.value("reason"),
    }
