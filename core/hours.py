"""Working hours, and an SLA counted in them.

A handoff's SLA runs only inside the workspace's working hours when it has set some
(`hours:mon-fri 09:00-18:00 Europe/Berlin`): a lead handed over on Friday evening with
a 4-hour SLA is due on Monday at 13:00. Windows are found on the zone's wall clock with
:mod:`zoneinfo`, so they stay at the same local time across daylight-saving changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.meetings import RuleError, parse_time, parse_zone

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"([0-9]{1,2}:[0-9]{2})-([0-9]{1,2}:[0-9]{2})")
_DURATION = re.compile(r"([0-9]{1,4})([mhd])")
_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
MAX_SLA = timedelta(days=30)
HOURS_FORM = "Say them as `hours:mon-fri 09:00-18:00`, with a time zone after if not yours."


@dataclass(frozen=True)
class WorkingHours:
    """The days and the daily window in which an SLA runs."""

    days: frozenset[int]  # 0=Mon..6=Sun
    start: time
    end: time
    zone: str  # IANA name

    def __str__(self) -> str:
        return f"{_day_text(self.days)} {self.start:%H:%M}-{self.end:%H:%M} {self.zone}"


def parse_sla(text: str) -> timedelta:
    """`90m`, `4h` or `2d`: how long sales has to take a lead, at most 30 days."""
    match = _DURATION.fullmatch(text.strip().lower())
    if match is None or int(match[1]) == 0:
        raise RuleError(f"SLA “{text}” isn't valid: use minutes, hours or days, such as sla:4h.")
    sla = int(match[1]) * _UNITS[match[2]]
    if sla > MAX_SLA:
        raise RuleError(f"SLA “{text}” is too long; the most is 30d.")
    return sla


def parse_days(text: str) -> frozenset[int]:
    """`mon-fri`, `mon,wed,fri` or `sat-sun` (a range may wrap, as in `fri-mon`)."""
    days: set[int] = set()
    for part in text.strip().lower().split(","):
        first, _, last = part.strip().partition("-")
        if first not in _DAYS or (last and last not in _DAYS):
            raise RuleError(f"Days “{text}” aren't valid. {HOURS_FORM}")
        a, b = _DAYS.index(first), _DAYS.index(last or first)
        days.update((a + step) % 7 for step in range((b - a) % 7 + 1))
    return frozenset(days)


def parse_hours(days: str, span: str, zone: str) -> WorkingHours:
    """`mon-fri`, `09:00-18:00` and an IANA zone → working hours."""
    match = _SPAN.fullmatch(span.strip())
    if match is None:
        raise RuleError(f"Hours “{span}” aren't valid. {HOURS_FORM}")
    start, end = parse_time(match[1]), parse_time(match[2])
    if end <= start:
        raise RuleError(f"Hours “{span}” end before they start. {HOURS_FORM}")
    return WorkingHours(parse_days(days), start, end, parse_zone(zone).key)


def read_hours(stored: str | None) -> WorkingHours | None:
    """Working hours as `str(WorkingHours)` stored them; None for none."""
    if not stored:
        return None
    days, span, zone = stored.split()
    return parse_hours(days, span, zone)


def _day_text(days: frozenset[int]) -> str:
    ordered = sorted(days)
    if ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 1:
        return f"{_DAYS[ordered[0]]}-{_DAYS[ordered[-1]]}"
    return ",".join(_DAYS[day] for day in ordered)


def _windows(
    hours: WorkingHours, since: datetime, span: timedelta
) -> Iterator[tuple[datetime, datetime]]:
    """The working windows, in UTC, that end after `since`, in order, enough for `span`."""
    tz = ZoneInfo(hours.zone)
    day: date = since.astimezone(tz).date() - timedelta(days=1)
    daily = datetime.combine(day, hours.end) - datetime.combine(day, hours.start)
    # The weeks it takes to work `span`, plus two for daylight-saving days that are shorter.
    weeks = span / (daily * len(hours.days)) + 2
    for _ in range(int(weeks * 7) + 2):
        if day.weekday() in hours.days:
            opens = datetime.combine(day, hours.start, tzinfo=tz).astimezone(UTC)
            closes = datetime.combine(day, hours.end, tzinfo=tz).astimezone(UTC)
            if closes > since:
                yield max(opens, since), closes
        day += timedelta(days=1)


def deadline(start: datetime, sla: timedelta, hours: WorkingHours | None) -> datetime:
    """When an SLA that starts at `start` runs out, counting only working hours if set."""
    if hours is None:
        return start + sla
    left = sla
    for opens, closes in _windows(hours, start, sla):
        if left <= closes - opens:
            return opens + left
        left -= closes - opens
    raise RuleError("These working hours leave no time to work in.")


def worked(start: datetime, end: datetime, hours: WorkingHours | None) -> timedelta:
    """How much SLA time passed between `start` and `end`."""
    if hours is None:
        return max(end - start, timedelta(0))
    total = timedelta(0)
    for opens, closes in _windows(hours, start, end - start):
        if opens >= end:
            break
        total += min(closes, end) - opens
    return total


def short(duration: timedelta) -> str:
    """`23 min`, `4 h`, `4 h 30 min`, `2 d 3 h`: a duration as people write it in a hurry."""
    minutes = max(int(duration.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else ""]
    parts.append(f"{minutes} min" if minutes and not days else "")
    return " ".join(part for part in parts if part) or "0 min"
