"""Who may change how the workspace runs (meetings, the lead handoff): team leads, and
workspace admins and owners."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.services import Services
from core.meetings import RuleError, parse_zone
from handlers.command import Asked, Verb, opening
from handlers.common import in_a_dm, in_time
from handlers.forms import View

UNCHECKED = (
    "Tandem could not check your role with Slack just now, so nothing was changed. "
    "Please try again in a minute."
)
_ADMIN_FLAGS = ("is_admin", "is_owner", "is_primary_owner")


@dataclass(frozen=True)
class Person:
    """What Slack and the settings say about whoever is asking."""

    allowed: bool  # may set and turn off meetings
    known: bool  # Slack answered users.info
    zone: str | None  # their Slack time zone, if it is one Tandem knows
    admin: bool = False  # a workspace admin or owner, as Slack says


async def person_of(client: AsyncWebClient, services: Services, user_id: str) -> Person:
    """Ask Slack about `user_id`; when Slack cannot say, only the settings' leads are let in."""
    try:
        # Within Slack's 3 seconds: an unreachable or slow Slack leaves the role unknown.
        answer = await in_time(client.users_info(user=user_id))
    except (SlackClientError, OSError, aiohttp.ClientError):
        answer = None
    if answer is None:
        return Person(allowed=services.is_lead(user_id), known=False, zone=None)
    user: dict[str, Any] = answer.get("user") or {}
    try:
        zone = parse_zone(str(user["tz"])).key if user.get("tz") else None
    except RuleError:
        zone = None
    admin = any(user.get(flag) for flag in _ADMIN_FLAGS)
    allowed = services.is_lead(user_id) or admin
    return Person(allowed=allowed, known=True, zone=zone, admin=admin)


async def lead_or_refused(asked: Asked, services: Services, refused: str) -> Person | None:
    """The person asking if they may make the change; else they are told why not (None)."""
    person = await person_of(asked.client, services, asked.user_id)
    if reason := refusal(person, refused):
        await asked.ack(text=reason)
        return None
    return person


def refusal(person: Person, refused: str) -> str | None:
    """Why this person may not make the change (`refused` when Slack says who they are),
    or None if they may."""
    if person.allowed:
        return None
    return refused if person.known else UNCHECKED


def channel_form_for_leads(
    services: Services, refused: str, in_dm: str, build: Callable[[Asked], View]
) -> Verb:
    """A verb opening a form that changes how a channel works: only for those allowed
    (`refused` tells the others why not), and only in a channel (`in_dm` says so)."""

    async def verb(asked: Asked) -> None:
        if await lead_or_refused(asked, services, refused) is None:
            return
        if in_a_dm(asked.channel_id):
            await asked.ack(text=in_dm)
            return
        await opening(build)(asked)

    return verb
