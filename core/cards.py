"""The lead card: posted when a lead is handed over, updated when sales acts or the SLA passes.

The web process posts and updates it; the clock marks it overdue. Everything the webhook
sent is shown as `plain_text`, which Slack never parses: no mention pings, no link is
made and nothing is formatted, whatever the CRM put in a field.

The card's buttons are answered by handlers.handoff; their action ids live here, the
one place both the listeners and the clock that redraws the card can read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from core.blocks import Block, context_line, user
from core.hours import short
from core.text import escape
from storage.models import Handoff

ACCEPT = "handoff_accept"
REJECT = "handoff_reject"
RATE = "handoff_rate"
CRM = "handoff_crm"  # a link button: Slack sends a click, which needs only an ack

_FIELDS = (("Who", "name"), ("Company", "company"), ("Email", "email"), ("Campaign", "campaign"))


@dataclass(frozen=True)
class Card:
    text: str  # the notification line
    blocks: list[Block]


def _plain(text: str, limit: int = 2000) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:limit] or " ", "emoji": False}


def _button(action_id: str, label: str, value: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "text": _plain(label),
        "value": value,
        **extra,
    }


def _score(score: float) -> str:
    return f"{score:g}"


def lead_card(handoff: Handoff, *, overdue: bool = False) -> Card:
    """The card as it stands: open with Accept and Reject…, or decided with who and when."""
    fields = [
        _plain(f"{label}: {value}", 200)
        for label, name in _FIELDS
        if (value := getattr(handoff, name))
    ]
    if handoff.score is not None:
        fields.append(_plain(f"Marketing's score: {_score(handoff.score)}"))
    blocks: list[Block] = [
        {"type": "header", "text": _plain(f"New lead: {handoff.lead_ref}", 150)},
    ]
    if fields:
        blocks.append({"type": "section", "fields": fields[:10]})
    if handoff.notes:
        blocks.append({"type": "section", "text": _plain(f"Notes: {handoff.notes}", 3000)})
    value = str(handoff.id)
    buttons: list[dict[str, Any]] = []
    if handoff.status == "open":
        buttons = [
            _button(ACCEPT, "Accept", value, style="primary"),
            _button(REJECT, "Reject…", value, style="danger"),
        ]
    elif handoff.status == "accepted":
        buttons = [_button(RATE, "Rate…", value)]
    if handoff.url:
        buttons.append(_button(CRM, "Open in CRM", value, url=handoff.url))
    blocks.append(context_line(_status(handoff, overdue=overdue)))
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    return Card(text=f"New lead handed over: {escape(handoff.lead_ref)}", blocks=blocks)


def _status(handoff: Handoff, *, overdue: bool) -> str:
    sla = short(timedelta(minutes=handoff.sla_minutes))
    if handoff.status == "accepted" and handoff.decided_by:
        took = short(timedelta(seconds=handoff.accept_seconds or 0))
        return f":white_check_mark: Accepted by {user(handoff.decided_by)} in {took}"
    if handoff.status == "rejected" and handoff.decided_by:
        unmet = f" · not met: {escape(handoff.unmet.replace(',', ', '))}" if handoff.unmet else ""
        reason = escape(" ".join((handoff.reason or "").split()))[:1500]
        return f":x: Rejected by {user(handoff.decided_by)}: “{reason}”{unmet}"
    if overdue:
        return f":warning: *Overdue* — nobody has taken it; the SLA is {sla}"
    return f"Handed over by marketing · accept or reject within {sla}"


def reminder(handoff: Handoff, *, waited: timedelta) -> Card:
    """The one SLA reminder, posted in the card's thread."""
    sla = short(timedelta(minutes=handoff.sla_minutes))
    text = (
        f"⏰ {handoff.lead_ref} has waited {short(waited)} — the SLA is {sla}. "
        "Accept or reject it on the card above."
    )
    return Card(
        text=f"{escape(handoff.lead_ref)} has waited {short(waited)}",
        blocks=[{"type": "section", "text": _plain(text, 3000)}],
    )
