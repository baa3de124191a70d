"""Words and Block Kit for `/cadence`: schedules in plain English, the form, lists, the preview."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from handlers.common import Block, context_line, divider, header, plural, section
from scheduler.agenda import Agenda
from scheduler.rules import MONTHLY, DayRule, Schedule, occurrences
from scheduler.schedules import schedule_of
from storage.models import Cadence

FORM_ID = "cadence_form"
TITLES = {"monthly": "monthly field-intel meeting", "quarterly": "quarterly planning meeting"}
MESSAGE_BLOCKS = 50
_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}


def title(kind: str) -> str:
    return TITLES[kind]


def when(instant: datetime, zone: str) -> str:
    """An instant as the meeting's people read it: `Tue 2 Feb 2027, 10:00 EST`."""
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M %Z}"


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
        agenda = f"agenda {'' if due > now else 'due since '}{when(due, zone)}"
        lines.append(f"• {when(start, zone)} ({agenda})")
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


def _cadence_text(cadence: Cadence, *, upcoming: bool, now: datetime) -> str:
    schedule, lead = schedule_of(cadence), timedelta(minutes=cadence.agenda_lead_minutes)
    heading = f"*{title(cadence.kind).capitalize()}* in <#{cadence.channel_id}>\n"
    if upcoming:
        starts = occurrences(schedule, after=now, count=3)
        return heading + upcoming_lines(starts, lead=lead, zone=schedule.zone, now=now)
    return (
        f"{heading}{describe(schedule)} (`{schedule.rule}`) · agenda {describe_lead(lead)} "
        f"before · set by <@{cadence.set_by}>"
    )


def cadences_message(
    cadences: Sequence[Cadence], *, upcoming: bool, now: datetime
) -> dict[str, Any]:
    """`/cadence list` (what is set) or `/cadence next` (the next dates), as ack arguments."""
    heading = "Next meetings" if upcoming else "Meetings"
    blocks = [header(heading)]
    blocks += [section(_cadence_text(c, upcoming=upcoming, now=now)) for c in cadences]
    if not cadences:
        blocks.append(
            section(
                "No meetings are set. A team lead or workspace admin can set one from its "
                "channel: `/cadence set monthly first-tue 10:00 America/New_York`"
            )
        )
    return {"text": heading, "blocks": blocks}


def preview_blocks(
    *, cadence: Cadence, occurrence: datetime, agenda: Agenda, default: bool
) -> list[Block]:
    """The agenda message, then as much of its thread as fits in one message."""
    intro = (
        f"Preview, only you can see it: the agenda of the {title(cadence.kind)} on "
        f"{when(occurrence, cadence.zone)}, as it would be posted now."
    )
    if default:
        intro += (
            f" No {title(cadence.kind)} is set, so this uses the first Tuesday of the month "
            f"at 10:00 {cadence.zone}: set yours with `/cadence set {cadence.kind} …`."
        )
    blocks = [context_line(intro), *agenda.blocks]
    left_out = 0
    for reply in agenda.thread:
        # Room for the reply, its divider and a last line saying what was left out.
        if left_out or len(blocks) + len(reply) + 2 > MESSAGE_BLOCKS:
            left_out += 1
            continue
        blocks += [divider(), *reply]
    notes = []
    if left_out:
        notes.append(f"{plural(left_out, 'more thread reply', 'more thread replies')} left out")
    if agenda.files:
        notes.append("attached in the thread: " + ", ".join(f.filename for f in agenda.files))
    if notes:
        line = "; ".join(notes)
        blocks.append(context_line(line[0].upper() + line[1:] + "."))
    return blocks


def _input(block_id: str, label: str, element: dict[str, Any], **extra: Any) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": label},
        "element": {"action_id": "value", **element},
        **extra,
    }


def _text(placeholder: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "placeholder": {"type": "plain_text", "text": placeholder}}


def cadence_form(*, channel_id: str) -> dict[str, Any]:
    """The modal `/cadence` opens when typed on its own; the meeting lives in `channel_id`."""
    kinds = [
        {"text": {"type": "plain_text", "text": t.capitalize()}, "value": k}
        for k, t in TITLES.items()
    ]
    return {
        "type": "modal",
        "callback_id": FORM_ID,
        "private_metadata": channel_id,
        "title": {"type": "plain_text", "text": "Meeting cadence"},
        "submit": {"type": "plain_text", "text": "Set"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            section(f"The meeting will be held in <#{channel_id}>."),
            _input(
                "kind",
                "Meeting",
                {"type": "static_select", "options": kinds, "initial_option": kinds[0]},
            ),
            _input(
                "rule",
                "Day",
                _text("first-tue"),
                hint={
                    "type": "plain_text",
                    "text": "first-, second-, third-, fourth- or last- "
                    "with mon … sun, or day-N such as day-15",
                },
            ),
            _input("time", "Time", {"type": "timepicker", "initial_time": "10:00"}),
            _input(
                "zone", "Time zone", _text("Yours in Slack, or e.g. Europe/Berlin"), optional=True
            ),
            _input("agenda", "Agenda comes", _text("1d before (or 2d, 6h …)"), optional=True),
            _input("months", "Months", _text("Quarterly only, e.g. 2,5,8,11"), optional=True),
        ],
    }


def read_form(view: dict[str, Any]) -> dict[str, str]:
    """The submitted form's values, as `build_request` keyword arguments."""
    values = view["state"]["values"]

    def value(block: str, key: str = "value") -> str:
        return str(values.get(block, {}).get("value", {}).get(key) or "")

    kind = values.get("kind", {}).get("value", {}).get("selected_option") or {}
    return {
        "kind": str(kind.get("value") or ""),
        "rule": value("rule"),
        "at": value("time", "selected_time"),
        "zone": value("zone"),
        "agenda": value("agenda"),
        "months": value("months"),
    }


def done(message: str) -> dict[str, Any]:
    """What the form turns into once the cadence is set."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Meeting cadence"},
        "close": {"type": "plain_text", "text": "Done"},
        "blocks": [section(f":white_check_mark: {message}")],
    }
