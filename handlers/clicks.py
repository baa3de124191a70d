"""Button clicks: what a listener needs to know about one, and its answer to the clicker."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from logging import Logger
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from handlers.common import Interaction, in_time


@dataclass(frozen=True)
class Clicked(Interaction):
    """One click on a message's button, as the person who clicked it."""

    ack: AsyncAck
    action: dict[str, Any]

    @property
    def channel_id(self) -> str:
        container = self.body.get("container") or {}
        return str(container.get("channel_id") or (self.body.get("channel") or {}).get("id", ""))

    @property
    def message_ts(self) -> str:
        return str((self.body.get("container") or {}).get("message_ts", ""))

    @property
    def value(self) -> str:
        return str(self.action.get("value", ""))

    @property
    def trigger_id(self) -> str:
        return str(self.body["trigger_id"])

    async def tell(self, text: str) -> None:
        """Answer the clicker alone, in the message's channel."""
        try:
            answer = self.client.chat_postEphemeral(
                channel=self.channel_id, user=self.user_id, text=text
            )
            await in_time(answer)
        except SlackApiError:
            self.logger.exception("could not answer a click on %s", self.action.get("action_id"))


def on_click(app: AsyncApp, action_id: str, handle: Callable[[Clicked], Awaitable[None]]) -> None:
    """Listen for clicks on buttons with `action_id`; `handle` must ack."""

    async def clicked(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        logger: Logger,
    ) -> None:
        await handle(Clicked(body, context, client, logger, ack, action))

    app.action(action_id)(clicked)
