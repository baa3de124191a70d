"""Which meeting reminders are due at an instant, and which were missed for good.

Each occurrence of a cadence has two reminders: the agenda, sent `agenda_lead_minutes`
before the meeting, and "starting now", sent at the meeting time. A reminder is due
from its send time until the meeting starts (the agenda) or until `START_GRACE` after
it started ("starting now"), so a reminder missed while the clock was down still goes
out when the clock comes back in time. After that it is stale: it is never posted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from core.meetings import agenda_due, lead_of, occurrences_between, previous_occurrence, schedule_of
from storage.models import Cadence


class Post(StrEnum):
    """Which of an occurrence's two reminders: stored as a delivery row's `kind`."""

    AGENDA = "agenda"
    START = "start"  # "starting now"


AGENDA, START = Post.AGENDA, Post.START
# How late "starting now" may still be posted: late is useful, an hour late is noise.
START_GRACE = timedelta(minutes=30)
_INSTANT = timedelta(microseconds=1)
_DST_MARGIN = timedelta(hours=2)


@dataclass(frozen=True)
class Reminder:
    """One reminder of one meeting occurrence, in the channel that holds the meeting."""

    cadence_id: int
    team_id: str
    channel_id: str
    meeting: str  # the cadence kind, a MeetingKind value: "monthly" or "quarterly"
    occurrence: datetime  # the meeting start, aware UTC
    post: Post

    def __str__(self) -> str:
        return (
            f"{self.post} reminder of the {self.meeting} meeting at "
            f"{self.occurrence:%Y-%m-%d %H:%MZ} in {self.channel_id} (team {self.team_id})"
        )


def _reminder(cadence: Cadence, occurrence: datetime, post: Post) -> Reminder:
    assert cadence.id is not None, "a stored cadence has an id"
    return Reminder(
        cadence_id=cadence.id,
        team_id=cadence.team_id,
        channel_id=cadence.channel_id,
        meeting=cadence.kind,
        occurrence=occurrence,
        post=post,
    )


def due_reminders(cadence: Cadence, *, now: datetime) -> list[Reminder]:
    """The reminders of `cadence` whose send time has come and whose meeting is not past."""
    schedule = schedule_of(cadence)
    lead = lead_of(cadence)
    # Agendas: sent at their due time <= now, before the meeting t > now. A day counted on
    # the wall clock can be an hour longer than 24 h across a DST change, hence the margin.
    upcoming = occurrences_between(schedule, start=now, end=now + lead + _DST_MARGIN)
    agendas = [t for t in upcoming if agenda_due(t, lead=lead, zone=cadence.zone) <= now]
    # "Starting now": sent at t <= now, until now < t + grace.
    starts = occurrences_between(schedule, start=now - START_GRACE, end=now)
    return [_reminder(cadence, t, AGENDA) for t in agendas] + [
        _reminder(cadence, t, START) for t in starts
    ]


def stale_reminders(cadence: Cadence, *, now: datetime) -> list[Reminder]:
    """The reminders of the latest meeting at or before `now` that can no longer be posted.

    Only that meeting is looked at, and only if it was after the cadence was last set:
    meetings from before the cadence existed were never owed a reminder.
    """
    latest = previous_occurrence(schedule_of(cadence), before=now + _INSTANT)
    if latest <= cadence.updated_at:
        return []
    stale = [_reminder(cadence, latest, AGENDA)]
    if latest + START_GRACE <= now:
        stale.append(_reminder(cadence, latest, START))
    return stale
