"""Setting and turning off a meeting: store it, tell its channel, answer whoever did it."""

from __future__ import annotations

from datetime import datetime

from core.meetings import cadence_fields, occurrences
from handlers.cadence import words
from handlers.cadence.parse import CadenceError, CadenceRequest
from handlers.common import Actor, in_a_dm, post_note
from handlers.roles import Person
from storage.cadences import set_cadence, turn_off
from storage.db import Database


async def _tell_channel(asker: Actor, channel: str, note: str) -> str:
    """Post the one-line note; a warning for the actor if Slack refused it."""
    refused = await post_note(asker.client, asker.logger, channel, note)
    return words.cannot_post(channel, refused) if refused else ""


async def apply_set(
    *, db: Database, asker: Actor, request: CadenceRequest, person: Person, now: datetime
) -> str:
    """Store the cadence, tell its channel, and return the setter's receipt."""
    channel = asker.channel_id
    if in_a_dm(channel):
        raise CadenceError(words.IN_A_DM, field="kind")
    zone = request.zone or person.zone
    if zone is None:
        raise CadenceError(words.NO_ZONE, field="zone")
    schedule, lead = request.schedule(zone), request.agenda_lead
    await db.write(
        set_cadence,
        team_id=asker.team_id,
        kind=request.kind,
        channel_id=channel,
        schedule=cadence_fields(schedule, lead),
        set_by=asker.user_id,
        now=now,
    )
    note = words.channel_note(
        user_id=asker.user_id, kind=request.kind, schedule=schedule, lead=lead
    )
    starts = occurrences(schedule, after=now, count=3)
    receipt = words.confirmation(
        kind=request.kind, channel_id=channel, schedule=schedule, lead=lead, starts=starts, now=now
    )
    return receipt + await _tell_channel(asker, channel, note)


async def stop(*, db: Database, asker: Actor, kind: str) -> str:
    """Turn the meeting off, tell its channel, and return the actor's receipt."""
    channel = await db.write(turn_off, team_id=asker.team_id, kind=kind)
    if channel is None:
        return words.nothing_to_stop(kind)
    note = words.off_note(user_id=asker.user_id, kind=kind)
    warning = await _tell_channel(asker, channel, note)
    return words.stopped(kind=kind, channel_id=channel) + warning
