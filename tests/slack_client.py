"""Requests shaped and signed the way Slack sends them to `POST /slack/events`."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx

from tests.forms import check_blocks, check_view

SECRET = "test-signing-secret"


def signature(*, secret: str, timestamp: int, body: str) -> str:
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256)
    return "v0=" + digest.hexdigest()


class SignedSlack:
    """Sends slash commands, interactions and events to the app under test."""

    def __init__(self, http: httpx.AsyncClient, *, secret: str = SECRET) -> None:
        self.http = http
        self.secret = secret

    async def post(
        self,
        body: str,
        *,
        content_type: str,
        age: int = 0,
        signed: bool = True,
        secret: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        timestamp = int(time.time()) - age
        sent = {"Content-Type": content_type, **(headers or {})}
        if signed:
            sent["X-Slack-Request-Timestamp"] = str(timestamp)
            sent["X-Slack-Signature"] = signature(
                secret=secret or self.secret, timestamp=timestamp, body=body
            )
        response = await self.http.post("/slack/events", content=body, headers=sent)
        _check_reply(response)
        return response

    async def command(
        self,
        name: str,
        text: str = "",
        *,
        user: str = "U1",
        team: str = "T1",
        channel: str = "C1",
        **options: Any,
    ) -> httpx.Response:
        form = {
            "token": "legacy",
            "team_id": team,
            "team_domain": team.lower(),
            "channel_id": channel,
            "channel_name": "sales",
            "user_id": user,
            "user_name": user.lower(),
            "command": name,
            "text": text,
            "api_app_id": "A1",
            "response_url": "https://hooks.slack.invalid/commands/1",
            "trigger_id": "1337.42.abcd",
        }
        return await self.post(
            urlencode(form), content_type="application/x-www-form-urlencoded", **options
        )

    async def interaction(self, payload: dict[str, Any], **options: Any) -> httpx.Response:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, content_type="application/x-www-form-urlencoded", **options)

    async def event(
        self, event: dict[str, Any], *, team: str = "T1", event_id: str = "Ev1", **options: Any
    ) -> httpx.Response:
        envelope = {
            "token": "legacy",
            "team_id": team,
            "api_app_id": "A1",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": team, "user_id": "UBOT", "is_bot": True}],
        }
        return await self.post(json.dumps(envelope), content_type="application/json", **options)


def _check_reply(response: httpx.Response) -> None:
    """Whatever the app answers Slack with must pass Block Kit validation too."""
    if not response.headers.get("content-type", "").startswith("application/json"):
        return
    data = response.json()
    if data.get("blocks"):
        check_blocks(data["blocks"])
    if isinstance(data.get("view"), dict):
        check_view(data["view"])


def reply_text(response: httpx.Response) -> str:
    """The text of an ack'd reply, including its blocks' text, for assertions."""
    if not response.content:
        return ""
    if not response.headers.get("content-type", "").startswith("application/json"):
        return response.text
    data = response.json()
    parts = [data.get("text", "")]
    for block in data.get("blocks", []):
        text = block.get("text")
        if isinstance(text, dict):
            parts.append(text.get("text", ""))
        for element in block.get("elements", []):
            if isinstance(element, dict) and "text" in element:
                parts.append(str(element["text"]))
    return "\n".join(parts)
