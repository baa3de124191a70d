"""Block Kit for `/winloss`: the report form and its receipt."""

from __future__ import annotations

from typing import Any

from handlers.common import Block, section

FORM_ID = "winloss_form"
TITLE = "Report a win or loss"


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "element": {"action_id": "value", **element},
    }


def _text_input(placeholder: str, *, multiline: bool = False) -> dict[str, Any]:
    return {
        "type": "plain_text_input",
        "multiline": multiline,
        "placeholder": {"type": "plain_text", "text": placeholder},
    }


def report_form(*, channel_id: str) -> dict[str, Any]:
    """The modal `/winloss` opens when typed on its own."""
    outcomes = [
        {"text": {"type": "plain_text", "text": label}, "value": value}
        for label, value in (("Won", "win"), ("Lost", "loss"))
    ]
    return {
        "type": "modal",
        "callback_id": FORM_ID,
        "private_metadata": channel_id,
        "title": {"type": "plain_text", "text": TITLE},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            _input("outcome", "Outcome", {"type": "static_select", "options": outcomes}),
            _input("deal", "Deal", _text_input("DEAL-7")),
            _input("competitor", "Competitor", _text_input("Acme"), optional=True),
            _input("amount", "Amount", _text_input("48,000"), optional=True),
            _input("campaign", "Campaign", _text_input("Q3 webinar"), optional=True),
            _input("reason", "Why?", _text_input("Price was 30% higher", multiline=True)),
        ],
    }


def read_form(view: dict[str, Any]) -> dict[str, Any]:
    """The submitted form's values, as `build_result` keyword arguments."""
    values = view["state"]["values"]

    def text(block: str) -> str:
        return values.get(block, {}).get("value", {}).get("value") or ""

    outcome = (values.get("outcome", {}).get("value", {}).get("selected_option") or {}).get("value")
    return {
        "outcome": outcome or "",
        "deal_ref": text("deal"),
        "competitor": text("competitor") or None,
        "amount": text("amount") or None,
        "campaign": text("campaign") or None,
        "reason": text("reason"),
    }


def saved(message: str) -> dict[str, Any]:
    """What the form turns into once the report is stored."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": TITLE},
        "close": {"type": "plain_text", "text": "Done"},
        "blocks": [section(f":white_check_mark: {message}")],
    }
