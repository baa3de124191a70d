"""Meeting rules: day rules, the instants they fall on, and a stored cadence's schedule.

The one place that converts between a `Cadence` row and the `Schedule` and agenda
lead time it stands for, in both directions.

Occurrences are found on local wall-clock dates in the schedule's zone with
:mod:`dateutil.rrule`, then placed in the zone with :mod:`zoneinfo` and turned
into UTC, so they stay at the same local time across daylight-saving changes.

A wall time that does not exist on the day (inside a spring-forward gap) is
resolved as :mod:`zoneinfo` does for ``fold=0``: with the offset in force
before the change, so 02:30 in New York on its spring-forward day is 07:30Z
(03:30 local). A wall time that happens twice (autumn) is the first of the two.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from dateutil import rrule

from storage.models import Cadence

MONTHLY: tuple[int, ...] = tuple(range(1, 13))
QUARTERLY: tuple[int, ...] = (1, 4, 7, 10)
DEFAULT_LEAD = timedelta(days=1)  # the agenda comes a day before unless `agenda:` says otherwise

_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MAX_LEAD = timedelta(days=28)
_LEAD_UNITS = {"d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}
# Far enough back that every month of the year has been seen at least once.
_LOOKBACK = timedelta(days=400)
# More than any UTC offset change can move a wall time across dates.
_SLACK = timedelta(days=2)

_DAY_RULE_FORM = (
    "Use first-, second-, third-, fourth- or last- with a weekday (mon … sun), "
    "such as first-tue, or day-N for a date, such as day-15."
)


class MeetingKind(StrEnum):
    """Which meeting a cadence holds, as stored in `Cadence.kind`."""

    MONTHLY = "monthly"  # the field-intel meeting
    QUARTERLY = "quarterly"  # the planning meeting


class RuleError(ValueError):
    """str(err) is a user-facing sentence that shows the right form."""


@dataclass(frozen=True)
class DayRule:
    """Which day of a month a meeting falls on: an nth/last weekday, or day N."""

    ordinal: int | None  # 1..4 for first..fourth, -1 for last; None for day-N
    weekday: int | None  # 0=Mon..6=Sun; None for day-N
    day: int | None  # 1..31; in shorter months the meeting falls on the month's last day

    def __post_init__(self) -> None:
        if self.day is not None:
            if self.ordinal is not None or self.weekday is not None or not 1 <= self.day <= 31:
                raise RuleError(f"Day rule “{self!r}” isn't valid. {_DAY_RULE_FORM}")
        elif self.ordinal not in _ORDINALS.values() or self.weekday not in range(7):
            raise RuleError(f"Day rule “{self!r}” isn't valid. {_DAY_RULE_FORM}")

    def __str__(self) -> str:
        if self.day is not None:
            return f"day-{self.day}"
        word = next(w for w, n in _ORDINALS.items() if n == self.ordinal)
        return f"{word}-{_WEEKDAYS[self.weekday or 0][:3]}"


@dataclass(frozen=True)
class Schedule:
    """When a meeting happens: a day rule at a local time, in given months."""

    rule: DayRule
    at: time  # local wall-clock time of the meeting
    zone: str  # IANA name
    months: tuple[int, ...]  # months in which the meeting happens

    def __post_init__(self) -> None:
        if not self.months or any(m not in MONTHLY for m in self.months):
            raise RuleError(f"Months {self.months} aren't valid. Use months 1 to 12.")

    @property
    def tz(self) -> ZoneInfo:
        """The schedule's zone."""
        return ZoneInfo(self.zone)


def parse_day_rule(text: str) -> DayRule:
    """Parse ``first-tue`` … ``last-sun`` or ``day-N`` (case-insensitive)."""
    head, _, tail = text.strip().lower().partition("-")
    if head == "day" and tail.isdecimal() and tail.isascii():
        if not 1 <= int(tail) <= 31:
            raise RuleError(f"Day “{text}” isn't valid: N must be 1 to 31, such as day-15.")
        return DayRule(ordinal=None, weekday=None, day=int(tail))
    # "tue", "tues" and "tuesday" all name Tuesday.
    weekday = next((i for i, name in enumerate(_WEEKDAYS) if name.startswith(tail)), None)
    if head in _ORDINALS and len(tail) >= 3 and weekday is not None:
        return DayRule(ordinal=_ORDINALS[head], weekday=weekday, day=None)
    raise RuleError(f"Day rule “{text}” isn't valid. {_DAY_RULE_FORM}")


def parse_time(text: str) -> time:
    """Parse a 24-hour ``HH:MM`` (or ``H:MM``) wall-clock time."""
    match = re.fullmatch(r"([0-9]{1,2}):([0-9]{2})", text.strip())
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise RuleError(f"Time “{text}” isn't valid. Use 24-hour HH:MM, such as 09:30 or 14:00.")
    return time(int(match[1]), int(match[2]))


def parse_zone(text: str) -> ZoneInfo:
    """Parse an IANA time zone name; letter case is forgiven."""
    name = _zone_names().get(text.strip().lower())
    if name is None:
        raise RuleError(f"Unknown time zone “{text}”. Use an IANA name such as America/New_York.")
    return ZoneInfo(name)


def parse_lead_time(text: str) -> timedelta:
    """Parse how long before a meeting: ``Nd``, ``Nh`` or ``Nm``, at most 28 days."""
    match = re.fullmatch(r"([0-9]+)([dhm])", text.strip().lower())
    if match is None:
        raise RuleError(
            f"Lead time “{text}” isn't valid. Use days, hours or minutes, "
            "such as agenda:2d, agenda:6h or agenda:90m."
        )
    unit = _LEAD_UNITS[match[2]]
    if int(match[1]) > _MAX_LEAD // unit:
        raise RuleError(f"Lead time “{text}” is too long; the most is 28d.")
    return int(match[1]) * unit


def parse_months(text: str) -> tuple[int, ...]:
    """Parse comma-separated month numbers into sorted unique months."""
    parts = [part.strip() for part in text.split(",")]
    if not all(p.isdecimal() and p.isascii() and 1 <= int(p) <= 12 for p in parts):
        raise RuleError(
            f"Months “{text}” aren't valid. Use month numbers 1 to 12, separated by commas, "
            "such as months:2,5,8,11."
        )
    return tuple(sorted({int(p) for p in parts}))


def occurrences(schedule: Schedule, *, after: datetime, count: int) -> list[datetime]:
    """The next ``count`` meeting starts strictly after ``after``, in UTC."""
    start = _local_date(after, schedule.tz) - _SLACK
    return list(islice((t for t in _starts(schedule, start) if t > after), count))


def previous_occurrence(schedule: Schedule, *, before: datetime) -> datetime:
    """The latest meeting start strictly before ``before``, in UTC.

    The schedule is treated as always having existed.
    """
    start = _local_date(before, schedule.tz) - _LOOKBACK
    latest = None
    for t in _starts(schedule, start):
        if t >= before:
            break
        latest = t
    assert latest is not None, "every month has each day rule's day"
    return latest


def occurrences_between(schedule: Schedule, *, start: datetime, end: datetime) -> list[datetime]:
    """Meeting starts ``t`` with ``start < t <= end``, in UTC."""
    found = []
    for t in _starts(schedule, _local_date(start, schedule.tz) - _SLACK):
        if t > end:
            break
        if t > start:
            found.append(t)
    return found


def _starts(schedule: Schedule, first_day: date) -> Iterator[datetime]:
    """Meeting starts in UTC, from the local date ``first_day`` on, in order."""
    tz = schedule.tz
    wall = schedule.at.replace(tzinfo=None)
    rule = schedule.rule
    if rule.day is None:
        days = {"byweekday": rrule.weekday(rule.weekday or 0, rule.ordinal)}
    else:
        # The last existing day among 28..N: day-31 is the 28th/29th in February.
        days = {"bymonthday": tuple(range(min(rule.day, 28), rule.day + 1)), "bysetpos": -1}
    dtstart = datetime.combine(first_day, wall)
    for local in rrule.rrule(rrule.MONTHLY, dtstart=dtstart, bymonth=schedule.months, **days):
        # Combined with fold=0, as documented at the top of the module.
        yield datetime.combine(local.date(), wall, tzinfo=tz).astimezone(UTC)


def _local_date(instant: datetime, tz: ZoneInfo) -> date:
    if instant.tzinfo is None:
        raise ValueError(f"{instant!r} has no time zone")
    return instant.astimezone(tz).date()


@functools.cache
def _zone_names() -> dict[str, str]:
    # Only the zone database's names: not files that sit beside them, such as
    # the host's "localtime".
    names = zoneinfo.available_timezones() - {"localtime", "posixrules", "Factory"}
    return {name.lower(): name for name in names}


def schedule_of(cadence: Cadence) -> Schedule:
    """The meeting schedule a stored cadence describes."""
    return Schedule(
        rule=parse_day_rule(cadence.day_rule),
        at=parse_time(cadence.at_time),
        zone=cadence.zone,
        months=tuple(int(month) for month in cadence.months.split(",")),
    )


def lead_of(cadence: Cadence) -> timedelta:
    """How long before each meeting its agenda is posted."""
    return timedelta(minutes=cadence.agenda_lead_minutes)


def cadence_fields(schedule: Schedule, lead: timedelta) -> dict[str, Any]:
    """The columns of a `Cadence` row that store `schedule` and the agenda `lead` time."""
    return {
        "day_rule": str(schedule.rule),
        "at_time": f"{schedule.at:%H:%M}",
        "zone": schedule.zone,
        "months": ",".join(str(month) for month in schedule.months),
        "agenda_lead_minutes": lead // timedelta(minutes=1),
    }


def agenda_due(occurrence: datetime, *, lead: timedelta, zone: str) -> datetime:
    """When the agenda of the meeting at `occurrence` is posted, in UTC.

    Whole days before are counted on the meeting's wall clock (`agenda:2d` is two days before
    at the meeting's local time, across daylight-saving changes); hours and minutes are elapsed.
    """
    if lead % timedelta(days=1):
        return occurrence - lead
    tz = ZoneInfo(zone)
    local = occurrence.astimezone(tz).replace(tzinfo=None) - lead
    return local.replace(tzinfo=tz).astimezone(UTC)
