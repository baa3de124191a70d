"""Form submissions as Slack sends them, and the Block Kit checks every message and view pass."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from core.block_check import block_problems, view_problems
from core.blocks import MESSAGE_BLOCKS
from handlers.common import InputError

Payload = dict[str, Any]


def text_value(value: str | None) -> dict[str, Any]:
    """A plain-text input as the submission's state holds it."""
    return {"type": "plain_text_input", "value": value}


def selected(value: str) -> dict[str, Any]:
    """A drop-down with the option `value` picked."""
    return {"type": "static_select", "selected_option": {"value": value}}


def view_submission(
    callback_id: str,
    values: dict[str, dict[str, Any]],
    *,
    team: str = "T1",
    user: str = "U1",
    view_id: str = "V1",
    metadata: str = "C1",
) -> Payload:
    """The view_submission of the form `callback_id`, each input's state under its block id."""
    state = {block: {"value": element} for block, element in values.items()}
    return {
        "type": "view_submission",
        "team": {"id": team, "domain": "t"},
        "user": {"id": user, "team_id": team},
        "api_app_id": "A1",
        "trigger_id": "1.2.3",
        "view": {
            "id": view_id,
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": metadata,
            "state": {"values": state},
            "team_id": team,
        },
    }


def check_blocks(blocks: list[dict[str, Any]], *, limit: int = MESSAGE_BLOCKS) -> None:
    """Every block passes Block Kit validation, within Slack's limits."""
    problems = block_problems(blocks, limit=limit)
    assert not problems, problems


def check_view(view: dict[str, Any]) -> None:
    """The view passes Block Kit validation, and so does each of its blocks."""
    problems = view_problems(view)
    assert not problems, problems


def block_action(
    action_id: str,
    value: str,
    *,
    channel: str,
    message_ts: str,
    team: str = "T1",
    user: str = "U2",
) -> Payload:
    """The block_actions payload Slack sends when `user` clicks a button of a message."""
    return {
        "type": "block_actions",
        "team": {"id": team, "domain": "t"},
        "user": {"id": user, "username": user.lower(), "team_id": team},
        "api_app_id": "A1",
        "token": "legacy",
        "trigger_id": "1.2.3",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "channel": {"id": channel, "name": "leads"},
        "message": {"type": "message", "ts": message_ts, "text": "", "blocks": []},
        "response_url": "https://hooks.slack.invalid/actions/1",
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b",
                "value": value,
                "action_ts": "1700000000.000001",
            }
        ],
    }


def refused_field(parse: Callable[[str], object], error: type[InputError], text: str) -> str:
    """The field named by the `error` that `parse(text)` raises (the test fails if none)."""
    with pytest.raises(error) as caught:
        parse(text)
    return caught.value.field
