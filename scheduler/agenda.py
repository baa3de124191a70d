"""Meeting agendas built from what was collected.

`build_agenda` is what delivery posts before a meeting and `/cadence preview` shows:
the monthly field-intel agenda covers the time since the previous occurrence of the
meeting's rule; the quarterly planning agenda covers the quarter since the previous
planning meeting and sets each measure beside the quarter before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from core.blocks import Block, section, slack_date
from core.meetings import MeetingKind, occurrences, previous_occurrence, schedule_of
from core.wording import MEETINGS
from scheduler import agenda_blocks
from scheduler.agenda_files import INVITE_NAME, charts, invitation
from scheduler.agenda_format import messages
from scheduler.agenda_top import summary_text, top_blocks
from scheduler.measures import changes, headline, measure
from storage.models import Cadence


@dataclass(frozen=True)
class AgendaFile:
    filename: str  # e.g. "lead-scores.png", "next-planning-meeting.ics"
    title: str
    content: bytes


@dataclass(frozen=True)
class Agenda:
    text: str  # notification / fallback text of the top-level message
    blocks: list[Block]  # the top-level message: at most 15 blocks, opens with the biggest changes
    thread: list[list[Block]] = field(default_factory=list)  # replies, each <= 50 blocks
    files: list[AgendaFile] = field(default_factory=list)  # uploaded into the thread


def title_of(cadence: Cadence) -> str:
    meeting = MEETINGS.get(cadence.kind)
    return meeting.heading if meeting else "Meeting"


def build_agenda(
    *, session: Session, cadence: Cadence, occurrence: datetime, now: datetime
) -> Agenda:
    """The agenda for the meeting at `occurrence` (aware UTC) as it stands at `now`."""
    schedule = schedule_of(cadence)
    zone, team_id = cadence.zone, cadence.team_id
    # The rule's previous meeting, even one from before the cadence was set.
    since = previous_occurrence(schedule, before=occurrence)
    before = previous_occurrence(schedule, before=since)
    until = max(now, since)
    current = measure(session=session, team_id=team_id, since=since, until=until)
    quarterly = cadence.kind == MeetingKind.QUARTERLY
    # The quarterly agenda sets every figure beside the quarter before; the monthly one
    # only weighs its headline figures against the month before.
    compared = (
        measure(session=session, team_id=team_id, since=before, until=since) if quarterly else None
    )
    previous = (
        compared
        if compared is not None
        else headline(session=session, team_id=team_id, since=before, until=since)
    )
    new = changes(session=session, team_id=team_id, current=current, before=before)

    title = title_of(cadence)
    when = f"Meeting {slack_date(occurrence, zone)} · covering {slack_date(since, zone)} until now"
    footer = ":thread: The full detail is in this message's thread."
    files: list[AgendaFile] = []
    thread = messages(
        [
            agenda_blocks.leads(current, compared),
            agenda_blocks.intel(current, compared, new),
            agenda_blocks.deals(current, compared),
            agenda_blocks.handoffs(current, compared),
            agenda_blocks.collateral(current, compared),
            agenda_blocks.glossary(current),
            [] if quarterly else agenda_blocks.stale_cards(current),
        ]
    )
    if compared is not None:
        when += ", beside the quarter before"
        [next_start] = occurrences(schedule, after=occurrence, count=1)
        next_meeting = slack_date(next_start, zone)
        footer = (
            ":thread: The full detail, charts and an invitation to the next planning meeting "
            f"({next_meeting}) are in this message's thread."
        )
        files = [AgendaFile(name, label, png) for name, label, png in charts(current, compared)]
        files.append(
            AgendaFile(
                INVITE_NAME,
                "Next planning meeting",
                invitation(cadence=cadence, start=next_start, now=now),
            )
        )
        thread.append(
            [
                section(
                    f":calendar: *Next planning meeting:* {next_meeting}. "
                    "The invitation is attached."
                )
            ]
        )
    blocks = top_blocks(
        title=f"{title} agenda",
        when=when,
        now=current,
        before=previous,
        compared=compared,
        changes=new,
        footer=footer,
    )
    if current.empty:
        text = f"{title} agenda: nothing was posted since the last meeting."
    else:
        text = f"{title} agenda: {summary_text(current)}. The full detail is in the thread."
    return Agenda(text=text, blocks=blocks, thread=thread, files=files)


def starting_now(*, cadence: Cadence, occurrence: datetime) -> tuple[str, list[Block]]:
    """The short "starting now" reminder posted at the meeting time."""
    text = (
        f":bell: The {title_of(cadence).lower()} starts now — "
        "the agenda is in the message above and its thread."
    )
    return text, [section(text)]
