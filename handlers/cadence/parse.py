"""What `/cadence set` and its form accept, and the meeting assumed while none is set."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import time, timedelta
from typing import TypeVar

from core.meetings import (
    DEFAULT_LEAD,
    MONTHLY,
    QUARTERLY,
    DayRule,
    RuleError,
    Schedule,
    cadence_fields,
    parse_day_rule,
    parse_lead_time,
    parse_months,
    parse_time,
    parse_zone,
)
from core.text import TextError, parse_command
from handlers.common import InputError
from storage.models import Cadence

T = TypeVar("T")
KINDS = ("monthly", "quarterly")


class CadenceError(InputError):
    """A cadence that cannot be set; `field` names the part that is wrong."""


@dataclass(frozen=True)
class CadenceRequest:
    """A parsed `/cadence set`."""

    kind: str
    rule: DayRule
    at: time
    zone: str | None  # None: the setter's Slack time zone
    agenda_lead: timedelta
    months: tuple[int, ...]

    def schedule(self, zone: str) -> Schedule:
        return Schedule(rule=self.rule, at=self.at, zone=zone, months=self.months)


def parse_kind(text: str) -> str:
    """`monthly` or `quarterly`, in any letter case."""
    kind = text.strip().lower()
    if kind not in KINDS:
        shown = f", not “{text.strip()}”" if text.strip() else ""
        raise CadenceError(
            "Which meeting? Say `monthly` (the field-intel meeting) or `quarterly` "
            f"(the planning meeting){shown}.",
            field="kind",
        )
    return kind


def _checked(field: str, parse: Callable[[str], T], text: str, missing: str) -> T:
    if not text.strip():
        raise CadenceError(missing, field=field)
    try:
        return parse(text)
    except RuleError as error:
        raise CadenceError(str(error), field=field) from None


def _quarterly_months(text: str) -> tuple[int, ...]:
    months = parse_months(text)
    if months[0] > 3 or months != tuple(range(months[0], 13, 3)):
        raise RuleError(
            f"Months “{text}” aren't quarterly: name one month in each quarter, three apart, "
            "such as months:2,5,8,11."
        )
    return months


def _lead(text: str) -> timedelta:
    lead = parse_lead_time(text)
    if not lead:
        raise RuleError("The agenda has to come before the meeting: use agenda:1d, 6h or 90m.")
    return lead


def build_request(
    *, kind: str, rule: str, at: str, zone: str | None, agenda: str | None, months: str | None
) -> CadenceRequest:
    """Check a cadence however it was entered, command or form."""
    kind = parse_kind(kind)
    day_rule = _checked("rule", parse_day_rule, rule, "Give the day rule, such as `first-tue`.")
    at_time = _checked("time", parse_time, at, "Give the meeting time, such as `10:00`.")
    zone_name = _checked("zone", parse_zone, zone, "").key if zone and zone.strip() else None
    lead = _checked("agenda", _lead, agenda, "") if agenda and agenda.strip() else DEFAULT_LEAD
    chosen = MONTHLY if kind == "monthly" else QUARTERLY
    if months and months.strip():
        if kind == "monthly":
            raise CadenceError(
                "The monthly meeting is held every month, so it takes no `months:`; "
                "`months:` moves the quarterly meeting.",
                field="months",
            )
        chosen = _checked("months", _quarterly_months, months, "")
    return CadenceRequest(
        kind=kind, rule=day_rule, at=at_time, zone=zone_name, agenda_lead=lead, months=chosen
    )


def parse_set(text: str) -> CadenceRequest:
    """The words after `set`: `monthly|quarterly DAY-RULE HH:MM [ZONE] [agenda:…] [months:…]`."""
    try:
        command = parse_command(text, positional=4, options=("agenda", "months"))
    except TextError as error:
        raise CadenceError(str(error), field="kind") from None
    if command.rest:
        raise CadenceError(f"I don't understand “{command.rest}”.", field="kind")
    kind, rule, at, zone = command.positional + ("",) * (4 - len(command.positional))
    return build_request(
        kind=kind,
        rule=rule,
        at=at,
        zone=zone,
        agenda=command.options.get("agenda"),
        months=command.options.get("months"),
    )


def default_cadence(*, team_id: str, channel_id: str, kind: str, zone: str) -> Cadence:
    """An unsaved cadence to preview an agenda with when none is set."""
    months = MONTHLY if kind == "monthly" else QUARTERLY
    schedule = Schedule(rule=parse_day_rule("first-tue"), at=time(10), zone=zone, months=months)
    return Cadence(
        team_id=team_id,
        kind=kind,
        channel_id=channel_id,
        set_by="",
        **cadence_fields(schedule, DEFAULT_LEAD),
    )
