"""Block Kit and words for `/handoff`: usage, the setup and reject forms, status, stats."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core.blocks import Block, context_line, header, section, user
from core.hours import WorkingHours, short
from core.text import escape
from core.wording import campaign_label, handoff_summary
from handlers.common import Saving
from handlers.forms import Submission, View, checkboxes, input_block, modal, text_input
from storage.handoff_stats import HandoffStats
from storage.leads import CRITERIA
from storage.models import Handoff, HandoffSetup

USAGE = (
    "*Set up* (team leads, workspace admins and owners), in the channel that takes the leads: "
    "`/handoff set sla:4h [hours:mon-fri 09:00-18:00 TIME-ZONE]` — the SLA in `m`, `h` or `d`; "
    "with `hours:` it only runs in working hours (time zone: yours unless given).\n"
    "*Webhook secret:* `/handoff token` (shown once; the previous one stops working) · "
    "*Events to your CRM:* `/handoff notify https://…` or `/handoff notify off`\n"
    "*Stop:* `/handoff off` · *See:* `/handoff status`, "
    "`/handoff stats [days:N] [campaign:NAME]` · *Form:* `/handoff` on its own"
)
STATS_USAGE = "`/handoff stats [days:N] [campaign:NAME]`, for example `/handoff stats days:90`"
SETUP_TITLE = "Lead handoff"
REJECT_TITLE = "Reject a lead"
SETUP_SAVING = Saving(USAGE, SETUP_TITLE, sorry_field="sla", what="the handoff setup")
REJECT_SAVING = Saving(USAGE, REJECT_TITLE, sorry_field="reason", what="a rejected lead")
REFUSAL = (
    "Only workspace admins and owners, and the team leads named in Tandem's settings "
    "(TANDEM_LEADS), can change the lead handoff, so nothing was changed. Anyone can use "
    "`/handoff status` and `/handoff stats`."
)
IN_A_DM = "Set up the handoff from the channel that should take the leads, not from a DM."
NO_ZONE = "Tandem could not find your time zone in Slack: add one, such as `Europe/Berlin`."
GONE = "That lead is no longer in Tandem."


def cannot_post(channel_id: str, error: str) -> str:
    """Added to the receipt when the channel note could not be posted."""
    return (
        f"\n:warning: Tandem could not post in <#{channel_id}> ({escape(error)}). Invite it with "
        "`/invite @Tandem`, or lead cards cannot be posted there either."
    )


def setup_form(*, callback_id: str, channel_id: str) -> View:
    return modal(
        callback_id=callback_id,
        title=SETUP_TITLE,
        private_metadata=channel_id,
        blocks=[
            section(f"Leads from the webhook will be posted in <#{channel_id}>."),
            input_block("sla", "SLA", text_input("4h (or 90m, 1d)"), optional=True),
            input_block(
                "hours",
                "Working hours",
                text_input("mon-fri 09:00-18:00 Europe/Berlin"),
                optional=True,
                hint="With working hours the SLA only runs inside them.",
            ),
        ],
    )


def read_setup(view: dict[str, Any]) -> dict[str, str]:
    form = Submission.of(view)
    return {"sla": form.value("sla"), "hours": form.value("hours")}


def reject_form(*, callback_id: str, handoff: Handoff) -> View:
    criteria = [(name.title(), name) for name in CRITERIA]
    return modal(
        callback_id=callback_id,
        title=REJECT_TITLE,
        submit="Reject",
        private_metadata=str(handoff.id),
        blocks=[
            {
                "type": "section",
                "text": {"type": "plain_text", "text": handoff.lead_ref[:200], "emoji": False},
            },
            input_block("reason", "Why?", text_input("At least 10 characters", multiline=True)),
            input_block("unmet", "Criteria not met", checkboxes(criteria), optional=True),
        ],
    )


def read_rejection(view: dict[str, Any]) -> dict[str, Any]:
    form = Submission.of(view)
    return {"reason": form.value("reason"), "unmet": form.choices("unmet")}


def _hours(hours: WorkingHours | None) -> str:
    return f", counted in working hours ({escape(str(hours))})" if hours else ""


def set_up(*, channel_id: str, sla: timedelta, hours: WorkingHours | None) -> str:
    return (
        f"Set: leads handed over through the webhook are posted in <#{channel_id}>, to be "
        f"accepted or rejected within {short(sla)}{_hours(hours)}. "
        "Get the webhook's secret with `/handoff token`."
    )


def channel_note(*, user_id: str, sla: timedelta) -> str:
    return (
        f"<@{user_id}> made this the lead handoff channel: new leads from marketing appear "
        f"here, to be accepted or rejected within {short(sla)}."
    )


def off_note(*, user_id: str) -> str:
    return f"<@{user_id}> turned off the lead handoff here: no more leads are posted."


def status(setup: HandoffSetup | None, hours: WorkingHours | None) -> str:
    if setup is None or setup.channel_id is None:
        lines = ["The lead handoff is not set up. Set it up in a channel: `/handoff set sla:4h`"]
    else:
        sla = timedelta(minutes=setup.sla_minutes)
        lines = [f"Leads go to <#{setup.channel_id}>, SLA {short(sla)}{_hours(hours)}."]
    token = setup is not None and setup.token_hash
    lines.append("Webhook secret: " + ("set" if token else "none yet (`/handoff token`)"))
    url = setup.notify_url if setup is not None else None
    lines.append(f"Events go to {escape(url)}" if url else "Events: not sent (`/handoff notify`)")
    return "\n".join(lines)


def token_shown(token: str, hook_hint: str) -> str:
    return (
        "The webhook's new secret (shown only now, only to you; the previous one no longer "
        f"works):\n`{token}`\nSend leads with `Authorization: Bearer {token}` to {hook_hint}"
    )


def notify_on(url: str, secret: str) -> str:
    return (
        f"Events go to {escape(url)} now. They are signed with this secret (shown only now): "
        f"`{secret}` — check `X-Tandem-Signature: sha256=…`, the HMAC-SHA256 of the raw body."
    )


NOTIFY_OFF = "Events are no longer sent."
STOPPED = "Turned off the lead handoff: the webhook answers 409 until it is set up again."
NOT_SET = "The lead handoff is not set up, so there is nothing to turn off."


def already(handoff: Handoff) -> str:
    did = "accepted" if handoff.status == "accepted" else "rejected"
    return f"{escape(handoff.lead_ref)} was already {did} by {user(handoff.decided_by or '')}."


def rejected(handoff: Handoff) -> str:
    return f"Rejected {escape(handoff.lead_ref)}; it counts as your rating of 1."


def stats_blocks(stats: HandoffStats, *, days: int, campaign: str | None) -> list[Block]:
    scope = f" for {escape(campaign)}" if campaign else ""
    blocks = [header(f"Lead handoffs, last {days} days{scope}")]
    if not stats.overall.handed:
        blocks.append(section("No leads were handed over in that time."))
        return blocks
    blocks.append(section(f"*Overall:* {handoff_summary(stats.overall)}"))
    lines = [f"• *{campaign_label(s.label)}*: {handoff_summary(s)}" for s in stats.campaigns[:20]]
    blocks.append(section("*By campaign*\n" + "\n".join(lines)))
    if len(stats.campaigns) > 20:
        blocks.append(context_line(f"and {len(stats.campaigns) - 20} more campaigns"))
    return blocks
