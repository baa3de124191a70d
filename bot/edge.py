"""The Slack endpoint's guard: a body no Slack request could have is refused before Bolt acts.

Bolt parses a body before it checks the signature, and its parsing and our listeners read
fields by the shapes Slack documents. A body that is not UTF-8, not JSON or a form, or whose
fields have other shapes (a `user` that is a number, a view without `state`) would raise deep
inside them: a 500 with a traceback. Here it gets a 400 instead, logged in one line.
Only the fields that Bolt and the listeners read are checked; everything else is let through.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator
from slack_bolt.adapter.starlette.async_handler import to_async_bolt_request
from slack_bolt.request.async_request import AsyncBoltRequest
from starlette.requests import Request


class _Loose(BaseModel):
    # Strict: a number where Slack sends a string is refused, not converted.
    model_config = ConfigDict(extra="allow", strict=True)


class _Id(_Loose):
    id: str


class _Command(_Loose):
    command: str
    user_id: str
    team_id: str
    trigger_id: str = ""
    text: str = ""


class _Option(_Loose):
    value: str


class _Element(_Loose):
    selected_option: _Option | None = None
    selected_options: list[_Option] | None = None


class _State(_Loose):
    values: dict[str, dict[str, _Element]]


class _View(_Loose):
    id: str
    callback_id: str
    type: str
    private_metadata: str = ""
    state: _State


class _Action(_Loose):
    action_id: str
    block_id: str = ""
    value: str = ""


class _Container(_Loose):
    channel_id: str | None = None
    message_ts: str | None = None


class _Interaction(_Loose):
    type: str
    user: _Id
    team: _Id | None = None
    channel: _Id | None = None
    container: _Container | None = None
    trigger_id: str = ""
    callback_id: str = ""
    actions: list[_Action] | None = None
    view: _View | None = None
    message: dict[str, Any] | None = None
    workflow_step: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _parts_of_its_type(self) -> _Interaction:
        if self.type in {"block_actions", "interactive_message"} and not self.actions:
            raise ValueError(f"{self.type} without actions")
        # Bolt reads `workflow_step` from these; Tandem has no workflow steps.
        steps = self.type == "workflow_step_edit" or (
            self.view and self.view.type == "workflow_step"
        )
        if steps and self.workflow_step is None:
            raise ValueError("a workflow step without workflow_step")
        if self.type in {"view_submission", "view_closed"} and self.view is None:
            raise ValueError(f"{self.type} without a view")
        if self.type in {"shortcut", "message_action"} and not (
            self.callback_id and self.trigger_id
        ):
            raise ValueError(f"{self.type} without callback_id or trigger_id")
        if self.type == "message_action" and self.message is not None:
            _Message.model_validate(self.message)
        return self


class _Message(_Loose):
    text: str | None = None
    user: str | None = None
    ts: str | None = None


class _Event(_Loose):
    type: str
    user: str | _Id | None = None
    channel: str | _Id | None = None
    tab: str | None = None

    @model_validator(mode="after")
    def _user_of_home(self) -> _Event:
        if self.type == "app_home_opened" and not isinstance(self.user, str):
            raise ValueError("app_home_opened without a user")
        return self


class _EventCallback(_Loose):
    type: str
    team_id: str | None = None  # an org-wide install's events may name only the enterprise
    enterprise_id: str | None = None
    event_id: str
    event: _Event
    authorizations: list[dict[str, Any]] | None = None


_COMMAND_FIELDS = ("command", "user_id", "team_id")


def _unscoped(body: dict[str, Any]) -> bool:
    """Slack's own checks of the endpoint, which belong to no workspace."""
    return "ssl_check" in body or body.get("type") in {"url_verification", "app_rate_limited"}


def _check(body: dict[str, Any]) -> None:
    """Raise ValidationError when the fields read for a request of this kind have other shapes."""
    if "command" in body:
        # A form's values are strings already (the hot path: every command is one), so all
        # that is left to check is that the fields are there.
        if not all(type(value) is str for value in body.values()):
            _Command.model_validate(body)
        elif not all(body.get(name) for name in _COMMAND_FIELDS):
            raise ValueError("a command without its user or workspace")
    elif body.get("type") == "event_callback":
        _EventCallback.model_validate(body)
    elif body.get("type") is not None:
        _Interaction.model_validate(body)
    else:
        raise ValueError("neither a command, an interaction nor an event")


def _unreadable(value: object) -> bool:
    """Whether any text in `value` has a NUL (no database keeps one) or a lone surrogate
    (not Unicode, which Slack always sends)."""
    if isinstance(value, str):
        return "\x00" in value or (not value.isascii() and _surrogate(value))
    if isinstance(value, dict):
        return any(_unreadable(item) for item in value.values())
    if isinstance(value, list):
        return any(_unreadable(item) for item in value)
    return False


def _surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def slack_request(request: Request, raw: bytes) -> AsyncBoltRequest | None:
    """The request as Bolt reads it, or None when its body cannot be one Slack sent."""
    try:
        # Decodes UTF-8 and parses JSON or the form, then reads ids out of the result.
        bolt = to_async_bolt_request(request, raw)
        body = bolt.body
        if not _unscoped(body):
            _check(body)
            if not (bolt.context.team_id or bolt.context.enterprise_id):
                return None
        # A command's text may hold a NUL: its dispatcher says why that is refused.
        if _unreadable({**body, "text": ""} if "command" in body else body):
            return None
    except (ValueError, TypeError, AttributeError, KeyError, IndexError, RecursionError):
        return None  # ValidationError is a ValueError
    return bolt


class UnhandledInOneLine(logging.Filter):
    """Bolt's notice of a request no listener took runs to a page (the body, then code to
    paste); one line naming its kind says as much, and lets OncePerInterval count repeats."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith("Unhandled request ("):
            record.msg, record.args = "no listener for a request (answered 404)", None
            record.repeats = True
        return True
