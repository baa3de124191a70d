"""Modal forms: their input blocks, what a submission holds, and how a submission is answered."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from logging import Logger
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from core.blocks import Block, section
from core.wording import SORRY_STORAGE
from handlers.common import InputError, Interaction, Saving, in_time, save_and_confirm

T = TypeVar("T")
View = dict[str, Any]
Element = dict[str, Any]
# Each input block holds one element, always under this action id; its block id names the field.
ACTION_ID = "value"


def plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def input_block(
    block_id: str, label: str, element: Element, *, optional: bool = False, hint: str = ""
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": plain(label),
        "element": {"action_id": ACTION_ID, **element},
    }
    if hint:
        block["hint"] = plain(hint)
    return block


def text_input(
    placeholder: str, *, multiline: bool = False, max_length: int | None = None, initial: str = ""
) -> Element:
    element: Element = {"type": "plain_text_input", "placeholder": plain(placeholder)}
    if multiline:
        element["multiline"] = True
    if max_length is not None:
        element["max_length"] = max_length
    if initial:
        element["initial_value"] = initial
    return element


def options(choices: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """Options from `(label, value)` pairs."""
    return [{"text": plain(label), "value": value} for label, value in choices]


def static_select(choices: Iterable[tuple[str, str]], *, initial: str | None = None) -> Element:
    """A drop-down of `(label, value)` pairs; `initial` is the value chosen to begin with."""
    listed = options(choices)
    element: Element = {"type": "static_select", "options": listed}
    if initial is not None:
        element["initial_option"] = next(o for o in listed if o["value"] == initial)
    return element


def checkboxes(choices: Iterable[tuple[str, str]]) -> Element:
    return {"type": "checkboxes", "options": options(choices)}


def modal(
    *,
    callback_id: str,
    title: str,
    blocks: list[Block],
    private_metadata: str,
    submit: str = "Save",
) -> View:
    """A form whose submission reaches the `app.view(callback_id)` listener."""
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": private_metadata,
        "title": plain(title),
        "submit": plain(submit),
        "close": plain("Cancel"),
        "blocks": blocks,
    }


def saved_view(*, title: str, message: str, tick: bool = True) -> View:
    """What a form turns into once its input is stored: the receipt and a Done button."""
    return {
        "type": "modal",
        "title": plain(title),
        "close": plain("Done"),
        "blocks": [section(f":white_check_mark: {message}" if tick else message)],
    }


@dataclass(frozen=True)
class Submission:
    """A submitted form's values, by block id."""

    values: Mapping[str, Any]

    @classmethod
    def of(cls, view: Mapping[str, Any]) -> Submission:
        return cls(values=view["state"]["values"])

    def _element(self, block: str) -> Mapping[str, Any]:
        element: Mapping[str, Any] = self.values.get(block, {}).get(ACTION_ID, {})
        return element

    def value(self, block: str, key: str = "value") -> str:
        """A typed or picked value (`key` such as `selected_time`); "" when left empty."""
        return str(self._element(block).get(key) or "")

    def choice(self, block: str) -> str:
        """The value of the option picked in a drop-down; "" when none is."""
        return str((self._element(block).get("selected_option") or {}).get("value") or "")

    def choices(self, block: str) -> list[str]:
        """The values of the boxes ticked."""
        return [option["value"] for option in self._element(block).get("selected_options") or []]


async def open_form(ack: AsyncAck, client: AsyncWebClient, *, trigger_id: str, view: View) -> None:
    """Answer the command with nothing, and open its form instead."""
    await ack()
    # Slack's trigger lasts 3 seconds: a form that has not opened by then never will.
    await in_time(client.views_open(trigger_id=trigger_id, view=view))


@dataclass(frozen=True)
class FormReply:
    """Answers a form submission: a problem beside its field, or the form turned into a receipt."""

    ack: AsyncAck
    title: str  # of the receipt
    sorry_field: str  # the block that shows a storage apology
    tick: bool = True  # whether the receipt starts with a check mark

    async def refuse(self, error: InputError) -> None:
        await self.ack(response_action="errors", errors={error.field: str(error)})

    async def sorry(self) -> None:
        await self.ack(response_action="errors", errors={self.sorry_field: SORRY_STORAGE})

    async def done(self, message: str) -> None:
        view = saved_view(title=self.title, message=message, tick=self.tick)
        await self.ack(response_action="update", view=view)


@dataclass(frozen=True)
class Submitted(Interaction):
    """A submitted form, as the person who submitted it; its channel is the form's metadata
    where the form keeps one there."""

    view: dict[str, Any]

    @property
    def channel_id(self) -> str:
        return str(self.view.get("private_metadata") or "")

    @property
    def receipt(self) -> str:
        """Names this submission: Slack may deliver one twice, and it is stored once."""
        return f"view:{self.view['id']}"


def on_submission(
    app: AsyncApp,
    form_id: str,
    spec: Saving,
    check: Callable[[dict[str, Any]], T],
    save: Callable[[Submitted, T], Awaitable[str]],
) -> None:
    """Listen for the form `form_id`: check its view, save as the submitter, answer in the form.

    `save` may raise an InputError to show a problem beside a field, the form kept open.
    """

    async def submitted(
        ack: AsyncAck,
        view: dict[str, Any],
        body: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        logger: Logger,
    ) -> None:
        submission = Submitted(body, context, client, logger, view)
        await save_and_confirm(
            FormReply(ack, title=spec.title, sorry_field=spec.sorry_field, tick=spec.tick),
            logger,
            failure=spec.failure + " from the form",
            check=lambda: check(view),
            save=lambda value: save(submission, value),
        )

    app.view(form_id)(submitted)
