"""iCalendar (``.ics``) invitations for meetings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

PRODID = "-//Tandem//Tandem//EN"


def meeting_invite(
    *,
    uid: str,
    title: str,
    start: datetime,
    duration: timedelta,
    zone: str,
    description: str,
    stamp: datetime,
    url: str | None = None,
) -> bytes:
    """One meeting as a published calendar, with its time zone definition.

    ``start`` is any aware instant; the event is written in ``zone`` so that
    calendar apps show it at the meeting's local time. ``stamp`` (DTSTAMP)
    is when the invitation was made.
    """
    if start.tzinfo is None:
        raise ValueError(f"{start!r} has no time zone")
    tz = ZoneInfo(zone)
    local_start = start.astimezone(tz)
    local_end = (start + duration).astimezone(tz)

    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", local_start)
    event.add("dtend", local_end)
    event.add("summary", title)
    event.add("description", description)
    if url is not None:
        event.add("url", url)

    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add_component(event)
    # Only the transitions around the meeting, to keep the file small.
    calendar.add_missing_timezones(
        first_date=date(local_start.year, 1, 1), last_date=date(local_end.year + 1, 1, 1)
    )
    return calendar.to_ical()
