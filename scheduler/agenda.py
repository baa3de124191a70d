"""Meeting agendas built from what was collected (INTERFACE STUB — being filled in).

`build_agenda` is what delivery posts before a meeting and `/cadence preview` shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from storage.models import Cadence

Block = dict[str, Any]


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


def build_agenda(
    *, session: Session, cadence: Cadence, occurrence: datetime, now: datetime
) -> Agenda:
    """The agenda for the meeting at `occurrence` (aware UTC) as it stands at `now`."""
    title = "Field-intel meeting" if cadence.kind == "monthly" else "Quarterly planning meeting"
    text = f"{title} agenda"
    return Agenda(text=text, blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text}}])


def starting_now(*, cadence: Cadence, occurrence: datetime) -> tuple[str, list[Block]]:
    """The short "starting now" reminder posted at the meeting time."""
    title = "Field-intel meeting" if cadence.kind == "monthly" else "Quarterly planning meeting"
    text = f":bell: {title} starting now."
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
