"""What `/handoff`, its forms and the lead webhook accept, as pure functions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from core.hours import WorkingHours, parse_hours, parse_sla
from core.meetings import RuleError
from core.text import TextError, escape, link_url, parse_command
from handlers.common import InputError
from storage import limits
from storage.intake import NewHandoff
from storage.leads import CRITERIA

DEFAULT_SLA = timedelta(hours=4)
MIN_REASON = 10
MAX_BODY = 64 * 1024
TOO_LARGE = f"The body is larger than {MAX_BODY // 1024} KB."
# The webhook's fields: each name, its JSON types, and the longest text it may be.
_TEXT_FIELDS = {
    "lead": limits.REFERENCE,
    "name": limits.NAME,
    "company": limits.NAME,
    "email": limits.NAME,
    "campaign": limits.NAME,
    "segment": limits.NAME,
    "url": limits.URL,
    "notes": limits.REASON,
}


class HandoffError(InputError):
    """A setup that cannot be stored; `field` names the part that is wrong."""


@dataclass(frozen=True)
class SetupRequest:
    sla: timedelta
    days: str | None  # working days and hours as typed, checked once the zone is known
    span: str | None
    zone: str | None  # None: the setter's Slack time zone

    def hours(self, zone: str) -> WorkingHours | None:
        if self.days is None or self.span is None:
            return None
        try:
            return parse_hours(self.days, self.span, self.zone or zone)
        except RuleError as error:
            raise HandoffError(str(error), field="hours") from None


def build_setup(*, sla: str | None, hours: str | None) -> SetupRequest:
    """Check a setup however it was entered: `sla` such as `4h`; `hours` such as
    `mon-fri 09:00-18:00 [Europe/Berlin]`."""
    try:
        duration = parse_sla(sla) if sla and sla.strip() else DEFAULT_SLA
    except RuleError as error:
        raise HandoffError(str(error), field="sla") from None
    if not hours or not hours.strip():
        return SetupRequest(duration, None, None, None)
    parts = hours.split()
    if len(parts) not in (2, 3):
        raise HandoffError(
            "Working hours are days, hours and maybe a time zone: "
            "`hours:mon-fri 09:00-18:00 Europe/Berlin`.",
            field="hours",
        )
    days, span, zone = parts[0], parts[1], parts[2] if len(parts) == 3 else None
    request = SetupRequest(duration, days, span, zone)
    request.hours("UTC")  # checks days, span and zone now, so nothing half-valid is stored
    return request


def parse_setup(text: str) -> SetupRequest:
    """After `set`: `[sla:4h] [hours:mon-fri 09:00-18:00 [ZONE]]`."""
    try:
        command = parse_command(text, positional=0, options=("sla", "hours"))
    except TextError as error:
        raise HandoffError(str(error), field="sla") from None
    hours = command.options.get("hours")
    # `hours:mon-fri 09:00-18:00 Europe/Berlin` unquoted: the span and zone follow as words.
    rest = command.rest.split()
    if hours is not None and 1 <= len(rest) <= 2 and len(hours.split()) == 1:
        hours, rest = " ".join([hours, *rest]), []
    if rest:
        raise HandoffError(f"I don't understand “{' '.join(rest)}”.", field="sla")
    return build_setup(sla=command.options.get("sla"), hours=hours)


def parse_notify(text: str) -> str | None:
    """After `notify`: an http(s) URL to send events to, or `off` (None)."""
    word = text.strip()
    if word.lower() == "off":
        return None
    url = link_url(word) or word
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > limits.URL:
        shown = escape(url[:60])
        raise HandoffError(
            f"“{shown}” is not a web address: give the http(s) URL that should receive "
            "the events, or `off`.",
            field="url",
        )
    return url


def build_rejection(*, reason: str, unmet: list[str]) -> tuple[str, tuple[str, ...]]:
    """A rejection's reason (10 characters at least) and the criteria it says were not met."""
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise HandoffError(
            f"Say why in at least {MIN_REASON} characters, so marketing can act on it.",
            field="reason",
        )
    if len(reason) > limits.REASON:
        raise HandoffError(
            f"The reason is too long ({limits.REASON:,} characters at most).", field="reason"
        )
    return reason, tuple(name for name in CRITERIA if name in unmet)


class HookError(ValueError):
    """A webhook request refused: `status` is the HTTP answer, str(error) says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def parse_lead(body: bytes) -> NewHandoff:
    """The webhook's JSON body → a handed-over lead; unknown fields are ignored."""
    if len(body) > MAX_BODY:
        raise HookError(413, TOO_LARGE)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise HookError(400, "The body is not JSON.") from None
    if not isinstance(data, dict):
        raise HookError(400, 'The body must be a JSON object, such as {"lead": "ACME-42"}.')
    values: dict[str, Any] = {}
    for name, limit in _TEXT_FIELDS.items():
        value = data.get(name)
        if value is None:
            continue
        if isinstance(value, int | float) and not isinstance(value, bool) and name == "lead":
            value = str(value)
        if not isinstance(value, str):
            raise HookError(422, f"Field “{name}” must be a string.")
        value = value.strip()
        if len(value) > limit:
            raise HookError(422, f"Field “{name}” is longer than {limit:,} characters.")
        values[name] = value or None
    if not values.get("lead"):
        raise HookError(422, "Field “lead” is required: the reference reps use with /lead.")
    url = values.get("url")
    if url and urlsplit(url).scheme not in ("http", "https"):
        raise HookError(422, "Field “url” must be an http(s) link to the CRM record.")
    score = data.get("score")
    if score is not None and (isinstance(score, bool) or not isinstance(score, int | float)):
        raise HookError(422, "Field “score” must be a number.")
    return NewHandoff(
        lead_ref=values.pop("lead"),
        score=float(score) if score is not None else None,
        **values,
    )
