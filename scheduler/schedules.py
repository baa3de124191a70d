"""From a stored cadence to its schedule of meetings."""

from __future__ import annotations

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
