"""Slack's side of the demo: what a person does on the page, sent to the app as Slack sends it.

Each action becomes the payload Slack would send (a slash command, a click, a submitted form,
a message shortcut, an opened Home tab), signed with the demo's signing secret and posted to
the app's `POST /slack/events`. The app's answer in its HTTP response (a command's ephemeral
reply, a form's errors or next view) is applied to the workspace as Slack would apply it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from bot.demo.workspace import BOT, Json, Message, Workspace
from core.block_check import block_problems


def sign(secret: str, timestamp: int, body: str) -> str:
    """The X-Slack-Signature of `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256)
    return "v0=" + digest.hexdigest()


@dataclass(frozen=True)
class Outcome:
    """What the app answered: its HTTP status, and for a form, the errors beside fields."""

    status: int
    errors: dict[str, str] | None = None

    def as_json(self) -> Json:
        return {"ok": 200 <= self.status < 300, "status": self.status, "errors": self.errors}


class SlackSide:
    """Sends the page's actions to the app; `base` is the demo's own address, ending in /."""

    def __init__(self, *, app: httpx.AsyncClient, workspace: Workspace, secret: str, base: str):
        self.app = app
        self.workspace = workspace
        self.secret = secret
        self.base = base

    def _team(self) -> Json:
        return {"id": self.workspace.team_id, "domain": "tandem-demo"}

    def _user(self, user: str) -> Json:
        person = self.workspace.people[user]
        return {
            "id": user,
            "username": person.as_slack()["name"],
            "team_id": self.workspace.team_id,
        }

    async def _send(self, body: str, content_type: str) -> httpx.Response:
        timestamp = int(time.time())
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": sign(self.secret, timestamp, body),
        }
        return await self.app.post("/slack/events", content=body, headers=headers)

    async def _interaction(self, payload: Json) -> httpx.Response:
        body = urlencode({"payload": json.dumps(payload)})
        return await self._send(body, "application/x-www-form-urlencoded")

    async def command(self, *, user: str, channel: str, command: str, text: str) -> Outcome:
        """A slash command typed in `channel`: its reply is shown to `user` alone."""
        name = self.workspace.channels[channel].name if channel in self.workspace.channels else ""
        form = {
            "token": "demo",
            "team_id": self.workspace.team_id,
            "team_domain": "tandem-demo",
            "channel_id": channel,
            "channel_name": name,
            "user_id": user,
            "user_name": self._user(user)["username"],
            "command": command,
            "text": text,
            "api_app_id": "A0DEMO",
            "is_enterprise_install": "false",
            "response_url": self.workspace.response_url(self.base, user=user, channel=channel),
            "trigger_id": self.workspace.trigger(user),
        }
        response = await self._send(urlencode(form), "application/x-www-form-urlencoded")
        self._reply(response, user=user, channel=channel)
        return Outcome(response.status_code)

    def _reply(self, response: httpx.Response, *, user: str, channel: str) -> None:
        """A command's answer in its HTTP response: an ephemeral message, or in the channel."""
        if response.status_code != 200:
            self.workspace.problems.append(f"the app answered HTTP {response.status_code}")
            self.workspace.version += 1
            return
        if not response.content:
            return
        if response.headers.get("content-type", "").startswith("application/json"):
            data = response.json()
        else:
            data = {"text": response.text}
        if not data.get("text") and not data.get("blocks"):
            return
        blocks = data.get("blocks")
        problems = block_problems(blocks) if blocks else []
        public = data.get("response_type") == "in_channel"
        self.workspace.add(
            Message(
                channel,
                self.workspace.new_ts(),
                BOT,
                str(data.get("text") or ""),
                None if problems else blocks,
                only_for=None if public else user,
                refused=problems or None,
            )
        )

    async def click(
        self,
        *,
        user: str,
        action: Json,
        channel: str | None = None,
        ts: str | None = None,
        view_id: str | None = None,
        state: Json | None = None,
    ) -> Outcome:
        """A click on a button (or a pick in a menu) of a message, a form or the Home tab."""
        action = {**action, "action_ts": f"{time.time():.6f}"}
        payload: Json = {
            "type": "block_actions",
            "team": self._team(),
            "user": self._user(user),
            "api_app_id": "A0DEMO",
            "token": "demo",
            "trigger_id": self.workspace.trigger(user),
            "actions": [action],
        }
        message = self.workspace.message(channel, ts) if channel and ts else None
        if message is not None and channel is not None:
            payload["container"] = {
                "type": "message",
                "message_ts": message.ts,
                "channel_id": channel,
                "is_ephemeral": message.only_for is not None,
            }
            payload["channel"] = {"id": channel, "name": self.workspace.channels[channel].name}
            payload["message"] = {
                "type": "message",
                "ts": message.ts,
                "text": message.text,
                "blocks": message.blocks or [],
                "bot_id": "BTANDEM",
                "user": BOT,
            }
            payload["response_url"] = self.workspace.response_url(
                self.base, user=user, channel=channel, ts=message.ts
            )
            payload["state"] = {"values": state or {}}
        else:
            opened = self._view(user, view_id)
            if opened is None:
                return Outcome(404)
            kind = "modal" if opened.view.get("type") == "modal" else "home"
            payload["container"] = {"type": "view", "view_id": opened.id}
            payload["view"] = self._view_payload(opened.id, opened.view, state or {}, kind)
        response = await self._interaction(payload)
        return Outcome(response.status_code)

    def _view(self, user: str, view_id: str | None) -> Any:
        home = self.workspace.homes.get(user)
        if home is not None and home.id == view_id:
            return home
        for opened in self.workspace.modals.get(user, []):
            if opened.id == view_id:
                return opened
        return None

    def _view_payload(self, view_id: str, view: Json, state: Json, kind: str) -> Json:
        return {
            "id": view_id,
            "team_id": self.workspace.team_id,
            "type": kind,
            "callback_id": view.get("callback_id", ""),
            "private_metadata": view.get("private_metadata", ""),
            "external_id": view.get("external_id", ""),
            "title": view.get("title"),
            "blocks": view.get("blocks", []),
            "state": {"values": state},
            "hash": f"{view_id}.hash",
            "app_id": "A0DEMO",
            "bot_id": "BTANDEM",
        }

    async def submit(self, *, user: str, view_id: str, state: Json) -> Outcome:
        """A form submitted with `state` (block id -> action id -> the element's value)."""
        opened = self.workspace.top_modal(user)
        if opened is None or opened.id != view_id:
            return Outcome(404)
        payload = {
            "type": "view_submission",
            "team": self._team(),
            "user": self._user(user),
            "api_app_id": "A0DEMO",
            "token": "demo",
            "trigger_id": self.workspace.trigger(user),
            "view": self._view_payload(opened.id, opened.view, state, "modal"),
            "response_urls": [],
        }
        response = await self._interaction(payload)
        if response.status_code != 200:
            return Outcome(response.status_code)
        answer = response.json() if response.content else {}
        action = answer.get("response_action")
        if action == "errors":
            return Outcome(200, errors=dict(answer.get("errors") or {}))
        if action in ("update", "push"):
            self.workspace.replace_modal(user, answer["view"], push=action == "push")
        elif action == "clear":
            self.workspace.close_modals(user)
        else:
            stack = self.workspace.modals.get(user, [])
            if stack and stack[-1].id == view_id:
                stack.pop()
            self.workspace.version += 1
        return Outcome(200)

    def close(self, *, user: str) -> None:
        """The form's Cancel: Tandem's forms ask for no notice of it."""
        stack = self.workspace.modals.get(user, [])
        if stack:
            stack.pop()
        self.workspace.version += 1

    async def shortcut(self, *, user: str, channel: str, ts: str, callback_id: str) -> Outcome:
        """A message shortcut (Save as field intel) used on the message at `ts`."""
        message = self.workspace.message(channel, ts)
        if message is None:
            return Outcome(404)
        shown: Json = {"type": "message", "ts": ts, "text": message.text}
        if message.user == BOT:
            shown["bot_id"] = "BTANDEM"
        else:
            shown["user"] = message.user
        payload = {
            "type": "message_action",
            "callback_id": callback_id,
            "team": self._team(),
            "user": self._user(user),
            "channel": {"id": channel, "name": self.workspace.channels[channel].name},
            "token": "demo",
            "api_app_id": "A0DEMO",
            "trigger_id": self.workspace.trigger(user),
            "response_url": self.workspace.response_url(
                self.base, user=user, channel=channel, ts=ts
            ),
            "message_ts": ts,
            "message": shown,
        }
        response = await self._interaction(payload)
        return Outcome(response.status_code)

    async def open_home(self, *, user: str) -> Outcome:
        """`user` opens the app's Home tab."""
        event = {
            "type": "app_home_opened",
            "user": user,
            "channel": f"D{user[1:]}",
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
        envelope = {
            "token": "demo",
            "team_id": self.workspace.team_id,
            "api_app_id": "A0DEMO",
            "event": event,
            "type": "event_callback",
            "event_id": self.workspace.new_id("Ev"),
            "event_time": int(time.time()),
            "authorizations": [{"team_id": self.workspace.team_id, "user_id": BOT, "is_bot": True}],
        }
        response = await self._send(json.dumps(envelope), "application/json")
        return Outcome(response.status_code)

    async def hand_over(self, *, secret: str, lead: Json) -> httpx.Response:
        """A marketing tool posting a lead to the webhook, with the workspace's secret."""
        return await self.app.post(
            "/hooks/leads", json=lead, headers={"Authorization": f"Bearer {secret}"}
        )
