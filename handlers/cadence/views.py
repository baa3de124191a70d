"""Block Kit for `/cadence`: its usage, the lists of meetings, the agenda preview, the form."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from core.blocks import (
    MESSAGE_BLOCKS,
    Block,
    context_line,
    divider,
    header,
    local_label,
    plural,
    section,
    user,
)
from core.meetings import lead_of, occurrences, schedule_of
from core.wording import MEETINGS
from handlers.cadence.words import describe, describe_lead, title, upcoming_lines
from handlers.common import Saving
from handlers.forms import Submission, View, input_block, modal, static_select, text_input
from scheduler.agenda import Agenda
from storage.models import Cadence

SET_FORM = (
    "`/cadence set monthly|quarterly DAY-RULE HH:MM [TIME-ZONE] [agenda:2d|6h] [months:2,5,8,11]`"
)
USAGE = (
    f"*Set a meeting* (team leads, workspace admins and owners), in its channel: {SET_FORM}\n"
    "For example `/cadence set monthly first-tue 10:00 America/New_York agenda:2d`. "
    "Day rules: `first-`, `second-`, `third-`, `fourth-` or `last-` with `mon` … `sun`, "
    "or `day-15`. The time zone defaults to yours in Slack; the agenda comes a day before "
    "unless `agenda:` says otherwise; the quarterly meeting is in January, April, July and "
    "October unless `months:` names four others three apart.\n"
    "*Stop:* `/cadence off monthly|quarterly` · *See:* `/cadence list`, `/cadence next`, "
    "`/cadence preview monthly|quarterly` · *Form:* `/cadence` on its own"
)
TITLE = "Meeting cadence"
SAVING = Saving(USAGE, TITLE, sorry_field="kind", what="a cadence")


def _cadence_text(cadence: Cadence, *, upcoming: bool, now: datetime) -> str:
    schedule, lead = schedule_of(cadence), lead_of(cadence)
    heading = f"*{title(cadence.kind).capitalize()}* in <#{cadence.channel_id}>\n"
    if upcoming:
        starts = occurrences(schedule, after=now, count=3)
        return heading + upcoming_lines(starts, lead=lead, zone=schedule.zone, now=now)
    return (
        f"{heading}{describe(schedule)} (`{schedule.rule}`) · agenda {describe_lead(lead)} "
        f"before · set by {user(cadence.set_by)}"
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
        f"{local_label(occurrence, cadence.zone)}, as it would be posted now."
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


def cadence_form(*, callback_id: str, channel_id: str) -> View:
    """The modal `/cadence` opens when typed on its own; the meeting lives in `channel_id`."""
    kinds = static_select(
        ((m.name.capitalize(), k) for k, m in MEETINGS.items()), initial="monthly"
    )
    return modal(
        callback_id=callback_id,
        title=TITLE,
        private_metadata=channel_id,
        submit="Set",
        blocks=[
            section(f"The meeting will be held in <#{channel_id}>."),
            input_block("kind", "Meeting", kinds),
            input_block(
                "rule",
                "Day",
                text_input("first-tue"),
                hint="first-, second-, third-, fourth- or last- "
                "with mon … sun, or day-N such as day-15",
            ),
            input_block("time", "Time", {"type": "timepicker", "initial_time": "10:00"}),
            input_block(
                "zone",
                "Time zone",
                text_input("Yours in Slack, or e.g. Europe/Berlin"),
                optional=True,
            ),
            input_block(
                "agenda", "Agenda comes", text_input("1d before (or 2d, 6h …)"), optional=True
            ),
            input_block(
                "months", "Months", text_input("Quarterly only, e.g. 2,5,8,11"), optional=True
            ),
        ],
    )


def read_form(view: dict[str, Any]) -> dict[str, str]:
    """The submitted form's values, as `build_request` keyword arguments."""
    form = Submission.of(view)
    return {
        "kind": form.choice("kind"),
        "rule": form.value("rule"),
        "at": form.value("time", "selected_time"),
        "zone": form.value("zone"),
        "agenda": form.value("agenda"),
        "months": form.value("months"),
    }
