"""The demo's stand-in for Slack: one workspace that keeps whatever the app posts.

`Workspace.call(method, params)` answers the Web API methods Tandem uses the way Slack
does (refusing blocks Slack would refuse, with `invalid_blocks`), and keeps the result:
channel messages and thread replies, updates, ephemeral answers, modals, Home tabs and
uploaded files. The page reads it all through `snapshot(user)`.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.block_check import block_problems, view_problems

BOT = "UTANDEM"
Json = dict[str, Any]


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    title: str
    role: str  # what the page calls them: rep, marketer, team lead
    tz: str = "America/New_York"
    admin: bool = False

    def as_slack(self) -> Json:
        """What `users.info` says about them."""
        return {
            "id": self.id,
            "name": self.name.split()[0].lower(),
            "real_name": self.name,
            "tz": self.tz,
            "is_admin": self.admin,
            "is_owner": False,
            "is_bot": False,
            "profile": {"display_name": self.name, "real_name": self.name, "title": self.title},
        }


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    topic: str


@dataclass
class Message:
    channel: str
    ts: str
    user: str
    text: str
    blocks: list[Json] | None = None
    thread_ts: str | None = None
    files: list[str] = field(default_factory=list)
    only_for: str | None = None  # an ephemeral message's one reader
    edited: bool = False
    refused: list[str] | None = None  # why Slack would not take it; shown as an error

    def as_json(self, workspace: Workspace) -> Json:
        return {
            "channel": self.channel,
            "ts": self.ts,
            "user": self.user,
            "text": self.text,
            "blocks": self.blocks,
            "thread_ts": self.thread_ts,
            "files": [workspace.files[f].as_json() for f in self.files if f in workspace.files],
            "ephemeral": self.only_for is not None,
            "edited": self.edited,
            "refused": self.refused,
        }


@dataclass
class File:
    id: str
    name: str
    title: str
    content: bytes = b""

    @property
    def mimetype(self) -> str:
        if self.name.endswith(".png"):
            return "image/png"
        if self.name.endswith(".ics"):
            return "text/calendar"
        return "application/octet-stream"

    def as_json(self) -> Json:
        url = f"/demo/files/{self.id}/{self.name}"
        return {
            "id": self.id,
            "name": self.name,
            "title": self.title,
            "mimetype": self.mimetype,
            "url_private": url,
            "size": len(self.content),
        }


@dataclass
class Opened:
    """A view shown to someone: a modal (in a stack) or their Home tab."""

    id: str
    user: str
    view: Json
    refused: list[str] | None = None


class Workspace:
    """Everything the stand-in Slack knows; `clock` stamps messages with the demo's time."""

    def __init__(
        self,
        *,
        team_id: str,
        people: list[Person],
        channels: list[Channel],
        clock: Callable[[], datetime],
    ) -> None:
        self.team_id = team_id
        self.people = {p.id: p for p in people}
        self.channels = {c.id: c for c in channels}
        self.clock = clock
        self.messages: list[Message] = []
        self.files: dict[str, File] = {}
        self.modals: dict[str, list[Opened]] = {}  # by user, the top one last
        self.homes: dict[str, Opened] = {}
        self.triggers: dict[str, str] = {}  # trigger id -> the user it was made for
        self.responses: dict[str, tuple[str, str, str | None]] = {}  # response_url token
        self.problems: list[str] = []  # refusals of views and of calls Slack does not know
        self.version = 0  # grows with every change; the page polls it
        self._ids = itertools.count(1)
        self._last_ts = 0.0

    # -- what the page and the driver use ------------------------------------------------

    def new_ts(self) -> str:
        """A message timestamp at the demo's time, each one later than the last."""
        stamp = max(self.clock().timestamp(), self._last_ts + 0.000001)
        self._last_ts = stamp
        return f"{stamp:.6f}"

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):07d}"

    def trigger(self, user: str) -> str:
        trigger_id = f"{next(self._ids)}.{self.new_id('T')}"
        self.triggers[trigger_id] = user
        return trigger_id

    def response_url(self, base: str, *, user: str, channel: str, ts: str | None = None) -> str:
        token = self.new_id("R")
        self.responses[token] = (user, channel, ts)
        return f"{base}demo/api/response/{token}"

    def message(self, channel: str, ts: str) -> Message | None:
        return next((m for m in self.messages if m.channel == channel and m.ts == ts), None)

    def add(self, message: Message) -> Message:
        self.messages.append(message)
        self.version += 1
        return message

    def top_modal(self, user: str) -> Opened | None:
        stack = self.modals.get(user)
        return stack[-1] if stack else None

    def close_modals(self, user: str) -> None:
        self.modals.pop(user, None)
        self.version += 1

    def replace_modal(self, user: str, view: Json, *, push: bool = False) -> Opened:
        stack = self.modals.setdefault(user, [])
        if stack and not push:
            opened = stack[-1]
            opened.view, opened.refused = view, view_problems(view) or None
        else:
            opened = Opened(self.new_id("V"), user, view, view_problems(view) or None)
            stack.append(opened)
        self.version += 1
        return opened

    def snapshot(self, user: str) -> Json:
        """What `user` sees: channels, messages (their own ephemerals too), modal, Home."""
        modal, home = self.top_modal(user), self.homes.get(user)
        return {
            "version": self.version,
            "now": self.clock().isoformat(),
            "team": self.team_id,
            "people": [p.__dict__ for p in self.people.values()],
            "channels": [c.__dict__ for c in self.channels.values()],
            "messages": [
                m.as_json(self) for m in self.messages if m.only_for is None or m.only_for == user
            ],
            "modal": None if modal is None else modal.__dict__,
            "home": None if home is None else home.__dict__,
            "problems": self.problems[-5:],
        }

    # -- the Web API ---------------------------------------------------------------------

    def call(self, method: str, params: Json, *, base: str) -> Json:
        """Slack's answer to `method`, after keeping what it changed."""
        for key in ("blocks", "view", "files", "attachments"):
            if isinstance(params.get(key), str):
                try:
                    params[key] = json.loads(params[key])
                except ValueError:
                    return {"ok": False, "error": f"invalid_{key}"}
        answer = self._METHODS.get(method)
        if answer is None:
            self.problems.append(f"Slack has no method {method}")
            self.version += 1
            return {"ok": False, "error": "unknown_method"}
        return answer(self, params, base)

    def _refused_blocks(self, params: Json) -> Json | None:
        blocks = params.get("blocks")
        if blocks is None:
            if not params.get("text"):
                return {"ok": False, "error": "no_text"}
            return None
        problems = block_problems(blocks) if isinstance(blocks, list) else ["blocks not a list"]
        if not problems:
            return None
        # Slack posts nothing; the page shows where the message would have gone.
        self.add(
            Message(
                channel=str(params.get("channel", "")),
                ts=self.new_ts(),
                user=BOT,
                text=str(params.get("text") or ""),
                thread_ts=params.get("thread_ts"),
                refused=problems,
            )
        )
        return {"ok": False, "error": "invalid_blocks", "errors": problems}

    def _channel_known(self, channel: str) -> bool:
        return channel in self.channels or channel.startswith("D")

    def _post(self, params: Json, _base: str) -> Json:
        channel = str(params.get("channel", ""))
        if not self._channel_known(channel):
            return {"ok": False, "error": "channel_not_found"}
        if refused := self._refused_blocks(params):
            return refused
        thread = params.get("thread_ts") or None
        message = self.add(
            Message(
                channel,
                self.new_ts(),
                BOT,
                str(params.get("text") or ""),
                params.get("blocks"),
                thread,
            )
        )
        return {
            "ok": True,
            "channel": channel,
            "ts": message.ts,
            "message": {"text": message.text, "ts": message.ts, "bot_id": "BTANDEM"},
        }

    def _ephemeral(self, params: Json, _base: str) -> Json:
        channel, user = str(params.get("channel", "")), str(params.get("user", ""))
        if not self._channel_known(channel):
            return {"ok": False, "error": "channel_not_found"}
        if user not in self.people:
            return {"ok": False, "error": "user_not_in_channel"}
        if refused := self._refused_blocks(params):
            return refused
        message = Message(
            channel,
            self.new_ts(),
            BOT,
            str(params.get("text") or ""),
            params.get("blocks"),
            params.get("thread_ts"),
            only_for=user,
        )
        self.add(message)
        return {"ok": True, "message_ts": message.ts}

    def _update(self, params: Json, _base: str) -> Json:
        channel, ts = str(params.get("channel", "")), str(params.get("ts", ""))
        message = self.message(channel, ts)
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        if refused := self._refused_blocks(params):
            return refused
        message.text = str(params.get("text") or message.text)
        if "blocks" in params:
            message.blocks = params["blocks"]
        message.edited = True
        self.version += 1
        return {"ok": True, "channel": channel, "ts": ts, "text": message.text}

    def _permalink(self, params: Json, base: str) -> Json:
        channel, ts = str(params.get("channel", "")), str(params.get("message_ts", ""))
        if self.message(channel, ts) is None:
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": channel, "permalink": f"{base}#msg/{channel}/{ts}"}

    def _views_open(self, params: Json, _base: str) -> Json:
        user = self.triggers.pop(str(params.get("trigger_id", "")), None)
        if user is None:
            return {"ok": False, "error": "invalid_trigger_id"}
        return self._show_modal(user, params["view"], push=False, fresh=True)

    def _views_push(self, params: Json, _base: str) -> Json:
        user = self.triggers.pop(str(params.get("trigger_id", "")), None)
        if user is None:
            return {"ok": False, "error": "invalid_trigger_id"}
        return self._show_modal(user, params["view"], push=True, fresh=False)

    def _show_modal(self, user: str, view: Json, *, push: bool, fresh: bool) -> Json:
        if problems := view_problems(view):
            self.problems.append("Slack refused a form: " + "; ".join(problems))
            self.version += 1
            return {
                "ok": False,
                "error": "invalid_arguments",
                "response_metadata": {"messages": problems},
            }
        if fresh:
            self.modals.pop(user, None)
        opened = self.replace_modal(user, view, push=push)
        return {"ok": True, "view": {"id": opened.id, **view}}

    def _views_update(self, params: Json, _base: str) -> Json:
        view_id = str(params.get("view_id", ""))
        for stack in self.modals.values():
            for opened in stack:
                if opened.id == view_id:
                    if problems := view_problems(params["view"]):
                        return {
                            "ok": False,
                            "error": "invalid_arguments",
                            "response_metadata": {"messages": problems},
                        }
                    opened.view = params["view"]
                    self.version += 1
                    return {"ok": True, "view": {"id": opened.id, **opened.view}}
        return {"ok": False, "error": "not_found"}

    def _views_publish(self, params: Json, _base: str) -> Json:
        user, view = str(params.get("user_id", "")), params.get("view") or {}
        if user not in self.people:
            return {"ok": False, "error": "user_not_found"}
        problems = view_problems(view)
        self.homes[user] = Opened(self.new_id("V"), user, view, problems or None)
        self.version += 1
        if problems:
            return {
                "ok": False,
                "error": "invalid_arguments",
                "response_metadata": {"messages": problems},
            }
        return {"ok": True, "view": {"id": self.homes[user].id, **view}}

    def _users_info(self, params: Json, _base: str) -> Json:
        person = self.people.get(str(params.get("user", "")))
        if person is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": person.as_slack()}

    def _open_dm(self, params: Json, _base: str) -> Json:
        """A direct message from Tandem to one person (an export arrives there); the page
        lists it with the channels."""
        person = self.people.get(str(params.get("users", "")))
        if person is None:
            return {"ok": False, "error": "user_not_found"}
        channel = f"D{person.id}"
        if channel not in self.channels:
            self.channels[channel] = Channel(
                channel,
                f"dm-{person.name.split()[0].lower()}",
                f"Tandem's direct messages to {person.name}",
            )
            self.version += 1
        return {"ok": True, "channel": {"id": channel}}

    def _auth_test(self, _params: Json, _base: str) -> Json:
        return {"ok": True, "team_id": self.team_id, "user_id": BOT, "bot_id": "BTANDEM"}

    def _upload_url(self, params: Json, base: str) -> Json:
        file = File(self.new_id("F"), str(params.get("filename", "file")), "")
        self.files[file.id] = file
        return {"ok": True, "file_id": file.id, "upload_url": f"{base}demo/api/upload/{file.id}"}

    def upload(self, file_id: str, content: bytes) -> bool:
        """The bytes sent to an upload URL; False for a URL Slack never gave."""
        file = self.files.get(file_id)
        if file is None:
            return False
        file.content = content
        return True

    def _complete_upload(self, params: Json, _base: str) -> Json:
        files, channel = params.get("files") or [], str(params.get("channel_id") or "")
        shared = []
        for entry in files:
            file = self.files.get(str(entry.get("id")))
            if file is None:
                return {"ok": False, "error": "file_not_found"}
            file.title = str(entry.get("title") or file.name)
            shared.append(file.id)
        if channel:
            if not self._channel_known(channel):
                return {"ok": False, "error": "channel_not_found"}
            text = str(params.get("initial_comment") or "")
            self.add(
                Message(
                    channel, self.new_ts(), BOT, text, None, params.get("thread_ts") or None, shared
                )
            )
        return {"ok": True, "files": [self.files[f].as_json() for f in shared]}

    def respond(self, token: str, body: Json) -> bool:
        """A post to a `response_url`: an answer only its user sees, unless it says otherwise."""
        known = self.responses.get(token)
        if known is None:
            return False
        user, channel, ts = known
        blocks = body.get("blocks")
        problems = block_problems(blocks) if blocks else []
        original = self.message(channel, ts) if ts else None
        if body.get("delete_original") and original is not None:
            self.messages.remove(original)
        elif body.get("replace_original") and original is not None and not problems:
            original.text, original.blocks = str(body.get("text") or ""), blocks
            original.edited = True
        else:
            public = body.get("response_type") == "in_channel"
            self.add(
                Message(
                    channel,
                    self.new_ts(),
                    BOT,
                    str(body.get("text") or ""),
                    None if problems else blocks,
                    only_for=None if public else user,
                    refused=problems or None,
                )
            )
        self.version += 1
        return True

    _METHODS: dict[str, Callable[[Workspace, Json, str], Json]] = {
        "chat.postMessage": _post,
        "conversations.open": _open_dm,
        "chat.postEphemeral": _ephemeral,
        "chat.update": _update,
        "chat.getPermalink": _permalink,
        "views.open": _views_open,
        "views.push": _views_push,
        "views.update": _views_update,
        "views.publish": _views_publish,
        "users.info": _users_info,
        "auth.test": _auth_test,
        "files.getUploadURLExternal": _upload_url,
        "files.completeUploadExternal": _complete_upload,
    }
