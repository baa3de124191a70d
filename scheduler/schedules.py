"""From a stored cadence to its schedule of meetings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from scheduler.rules import Schedule, parse_day_rule, parse_time
from storage.models import Cadence


def schedule_of(cadence: Cadence) -> Schedule:
    """The meeting schedule a stored cadence describes."""
    return Schedule(
        rule=parse_day_rule(cadence.day_rule),
        at=parse_time(cadence.at_time),
        zone=cadence.zone,
        months=tuple(int(month) for month in cadence.months.split(",")),
    )


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
