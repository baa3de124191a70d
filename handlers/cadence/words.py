"""`/cadence` in plain English: schedules, meeting times, and the notes and receipts."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import datetime, timedelta

from core.blocks import local_label, plural
from core.meetings import MONTHLY, DayRule, Schedule, agenda_due
from core.wording import MEETINGS

_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
NO_ZONE = "Tandem could not find your time zone in Slack: give one, such as America/New_York."
IN_A_DM = "Set the meeting from the channel it should be held in, not from a direct message."


def title(kind: str) -> str:
    return MEETINGS[kind].name


def describe_lead(lead: timedelta) -> str:
    minutes = lead // timedelta(minutes=1)
    if minutes % (24 * 60) == 0:
        return plural(minutes // (24 * 60), "day")
    if minutes % 60 == 0:
        return plural(minutes // 60, "hour")
    return plural(minutes, "minute")


def _months(months: Sequence[int]) -> str:
    if tuple(months) == MONTHLY:
        return "each month"
    names = [calendar.month_name[m] for m in months]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def describe_days(rule: DayRule, months: Sequence[int]) -> str:
    """`first Tuesday of each month`, `the 15th of January, April, July and October`."""
    if rule.day is None:
        weekday = calendar.day_name[rule.weekday or 0]
        return f"{_ORDINALS[rule.ordinal or 1]} {weekday} of {_months(months)}"
    suffix = (
        "th" if rule.day in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(rule.day % 10, "th")
    )
    shorter = " (the last day in shorter months)" if rule.day > 28 else ""
    return f"the {rule.day}{suffix} of {_months(months)}{shorter}"


def describe(schedule: Schedule) -> str:
    """`first Tuesday of each month at 10:00 America/New_York`."""
    return f"{describe_days(schedule.rule, schedule.months)} at {schedule.at:%H:%M} {schedule.zone}"


def _on(schedule: Schedule) -> str:
    text = describe(schedule)
    return text if text.startswith("the ") else "the " + text


def channel_note(*, user_id: str, kind: str, schedule: Schedule, lead: timedelta) -> str:
    """The one line the meeting's channel sees when the meeting is set."""
    return (
        f"<@{user_id}> set the {title(kind)}: {describe(schedule)}; "
        f"the agenda comes {describe_lead(lead)} before."
    )


def off_note(*, user_id: str, kind: str) -> str:
    """The one line the meeting's channel sees when the meeting is turned off."""
    return f"<@{user_id}> turned off the {title(kind)}: no more agendas or reminders here."


def upcoming_lines(starts: Sequence[datetime], *, lead: timedelta, zone: str, now: datetime) -> str:
    """One bullet per meeting: its start, and when its agenda comes."""
    lines = []
    for start in starts:
        due = agenda_due(start, lead=lead, zone=zone)
        # A past agenda time still means an agenda: the clock posts it until the meeting starts.
        agenda = f"agenda {'' if due > now else 'due since '}{local_label(due, zone)}"
        lines.append(f"• {local_label(start, zone)} ({agenda})")
    return "\n".join(lines)


def confirmation(
    *,
    kind: str,
    channel_id: str,
    schedule: Schedule,
    lead: timedelta,
    starts: Sequence[datetime],
    now: datetime,
) -> str:
    """The setter's receipt: what was set, the next meetings and when their agendas come."""
    return (
        f"Set: the *{title(kind)}* is held in <#{channel_id}> on {_on(schedule)}. "
        f"The agenda is posted there {describe_lead(lead)} before each meeting, and a "
        "“starting now” reminder at the meeting time.\n*Next meetings:*\n"
        + upcoming_lines(starts, lead=lead, zone=schedule.zone, now=now)
    )


def cannot_post(channel_id: str, error: str) -> str:
    """Added to the actor's receipt when the channel note could not be posted."""
    return (
        f"\n:warning: Tandem could not post in <#{channel_id}> ({error}). Invite it with "
        "`/invite @Tandem`, or the agendas cannot be posted there either."
    )


def nothing_to_stop(kind: str) -> str:
    return f"The {title(kind)} is not set, so there is nothing to turn off."


def stopped(*, kind: str, channel_id: str) -> str:
    return (
        f"Turned off the *{title(kind)}* in <#{channel_id}>: no more agendas or reminders. "
        f"`/cadence set {kind} …` starts it again."
    )


REFUSAL = (
    "Only workspace admins and owners, and the team leads named in Tandem's settings "
    "(TANDEM_LEADS), can set or turn off meetings, so nothing was changed. Anyone can use "
    "`/cadence list`, `/cadence next` and `/cadence preview monthly|quarterly`."
)
