"""A fake Slack Web API: a real HTTP server on 127.0.0.1 that records what the app sent.

It answers the methods Tandem calls with Slack-shaped payloads, and can be told to
answer a method with 429 (and a Retry-After) or a 5xx for the next few calls. It also
plays Slack's side of an OAuth install: `grant` approves an install and gives the code
that `oauth.v2.access` exchanges for that workspace's own bot token (and refreshes a
rotating one); every call's Authorization header is recorded (`Call.token`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from bot.installs import BOT_SCOPES
from tests.stub_http import QuietHandler


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    answer: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)  # when it was taken

    @property
    def authorization(self) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == "authorization"), None)

    @property
    def token(self) -> str | None:
        """The bearer token the call was made with."""
        scheme, _, token = (self.authorization or "").partition(" ")
        return token if scheme == "Bearer" else None


@dataclass(frozen=True)
class Grant:
    """An install approved in Slack: for one workspace, or org-wide for an organization."""

    team_id: str | None
    enterprise_id: str | None = None
    org_wide: bool = False
    rotating: bool = False  # the app has token rotation on: the token expires in an hour


DROP = 0  # a `fail` status meaning: close the connection without answering
# A `fail` status meaning: do what was asked (the call is recorded), then hang up unanswered.
TAKE_AND_DROP = -1


@dataclass
class Failure:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    channel: str | None = None  # only calls for this channel, if given
    skip: int = 0  # calls let through before this one fails


class FakeSlack:
    """Start with `FakeSlack().start()`; point SLACK_API_URL at `.url`."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.uploads: dict[str, bytes] = {}
        self.upload_names: dict[str, str] = {}  # file id -> the file name it was asked for
        self.users: dict[str, dict[str, Any]] = {}
        self._failures: dict[str, deque[Failure]] = {}
        self._rejected: list[str] = []
        self._holds: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._grants: dict[str, Grant] = {}
        # Each bot and refresh token issued; kept across `reset`, as Slack keeps them.
        self._tokens: dict[str, Grant] = {}
        self.history_allowed = True  # False: conversations.history/replies answer missing_scope
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}/api/"

    def start(self) -> FakeSlack:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.uploads.clear()
            self.upload_names.clear()
            self.users.clear()
            self._failures.clear()
            self._rejected.clear()
            self.history_allowed = True
            for gate in self._holds.values():
                gate.set()
            self._holds.clear()

    def fail(
        self,
        method: str,
        status: int,
        *,
        times: int = 1,
        retry_after: int | None = None,
        channel: str | None = None,
        skip: int = 0,
    ) -> None:
        """Answer the next `times` calls of `method` (for `channel`, if given) with `status`,
        after letting `skip` calls through."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        with self._lock:
            queue = self._failures.setdefault(method, deque())
            queue.append(Failure(status, headers, channel, skip))
            queue.extend(Failure(status, headers, channel) for _ in range(times - 1))

    def _failure(self, method: str, channel: str) -> Failure | None:
        queue = self._failures.get(method) or deque()
        for failure in queue:
            if failure.channel in (None, channel):
                if failure.skip:
                    failure.skip -= 1
                    return None
                queue.remove(failure)
                return failure
        return None

    def heal(self) -> None:
        """Drop the failures still queued: Slack answers normally again."""
        with self._lock:
            self._failures.clear()

    def hold(self, channel: str) -> threading.Event:
        """Keep answers to calls for `channel` waiting until the returned event is set.

        A held call is recorded (in `sent`) only once it is answered.
        """
        with self._lock:
            return self._holds.setdefault(channel, threading.Event())

    def sent(self, method: str) -> list[dict[str, Any]]:
        """The parameters of every successful call of `method`, in order."""
        with self._lock:
            return [call.params for call in self.calls if call.method == method]

    async def sent_soon(self, method: str, *, within: float = 5.0) -> list[dict[str, Any]]:
        """`sent(method)` once it holds anything, or after `within` seconds.

        For calls the app makes after it has answered the request that caused them.
        """
        deadline = time.monotonic() + within
        while not self.sent(method) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return self.sent(method)

    def calls_of(self, method: str) -> list[Call]:
        """Every successful call of `method`, with its headers, in order."""
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def grant(
        self,
        team_id: str | None,
        *,
        enterprise_id: str | None = None,
        org_wide: bool = False,
        rotating: bool = False,
    ) -> str:
        """Approve an install as a person does on Slack's page; the code Slack redirects with."""
        code = f"code-{next(self._ts)}"
        with self._lock:
            self._grants[code] = Grant(team_id, enterprise_id, org_wide, rotating)
        return code

    def _issue(self, grant: Grant) -> dict[str, Any]:
        """A new bot token for `grant`'s workspace (or organization)."""
        number = next(self._ts)
        token = f"xoxb-{grant.team_id or grant.enterprise_id}-{number}"
        self._tokens[token] = grant
        issued: dict[str, Any] = {"access_token": token, "token_type": "bot"}
        if grant.rotating:
            refresh = f"xoxe-1-{grant.team_id or grant.enterprise_id}-{number}"
            self._tokens[refresh] = grant
            issued |= {"refresh_token": refresh, "expires_in": 3600}
        return issued

    def _oauth_v2_access(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("grant_type") == "refresh_token":
            grant = self._tokens.get(str(params.get("refresh_token")))
            if grant is None:
                return {"ok": False, "error": "invalid_refresh_token"}
            # A refreshed token lasts 12 hours, so the next call does not refresh it again.
            return {"ok": True, **self._issue(grant), "expires_in": 43200}
        grant = self._grants.pop(str(params.get("code")), None)  # a code works once
        if grant is None:
            return {"ok": False, "error": "invalid_code"}
        enterprise = grant.enterprise_id
        return {
            "ok": True,
            **self._issue(grant),
            "scope": ",".join(BOT_SCOPES),
            "bot_user_id": "UBOT",
            "app_id": "A1",
            "team": None
            if grant.org_wide
            else {"id": grant.team_id, "name": f"{grant.team_id} Inc"},
            "enterprise": {"id": enterprise, "name": f"{enterprise} Org"} if enterprise else None,
            "is_enterprise_install": grant.org_wide,
            "authed_user": {"id": "UINSTALLER"},
        }

    def uploaded(self) -> dict[str, bytes]:
        """Each uploaded file's content, by the file name it was uploaded as."""
        with self._lock:
            return {self.upload_names[f]: body for f, body in self.uploads.items()}

    def taken(self, method: str) -> list[Call]:
        """Every call of `method` Slack acted on, with when, in order."""
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def attempts(self, method: str) -> int:
        """How often `method` was called, answered or failed."""
        with self._lock:
            answered = sum(1 for call in self.calls if call.method == method)
            return answered + self._rejected.count(method)

    def add_user(
        self,
        user_id: str,
        *,
        admin: bool = False,
        owner: bool = False,
        tz: str = "America/New_York",
    ) -> None:
        self.users[user_id] = {
            "id": user_id,
            "name": user_id.lower(),
            "is_admin": admin,
            "is_owner": owner,
            "tz": tz,
            "real_name": f"User {user_id}",
            "profile": {"display_name": user_id},
        }

    def _history(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """What Slack's history methods answer: the channel's posts, with their metadata."""
        if not self.history_allowed:
            return {"ok": False, "error": "missing_scope", "needed": "channels:history"}
        channel, thread = params.get("channel"), params.get("ts")
        names = {
            c.answer.get("file_id"): c.params.get("filename")
            for c in self.calls
            if c.method == "files.getUploadURLExternal"
        }
        messages = []
        for call in self.calls:
            if channel not in (call.params.get("channel"), call.params.get("channel_id")):
                continue
            if call.method == "chat.postMessage":
                message = {
                    "ts": call.answer["ts"],
                    "text": call.params.get("text"),
                    "metadata": call.params.get("metadata"),
                }
                if call.params.get("thread_ts"):
                    message["thread_ts"] = call.params["thread_ts"]
            elif call.method == "files.completeUploadExternal":
                files = [{"id": f["id"], "name": names.get(f["id"])} for f in call.params["files"]]
                message = {"ts": call.answer["ts"], "thread_ts": call.params.get("thread_ts")}
                message["files"] = files
            else:
                continue
            messages.append(message)
        if method == "conversations.history":
            return {"ok": True, "messages": [m for m in messages if not m.get("thread_ts")][::-1]}
        replies = [m for m in messages if thread in (m["ts"], m.get("thread_ts"))]
        return {"ok": True, "messages": replies}

    def _answer(self, method: str, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        ts = f"1700000000.{next(self._ts):06d}"
        if method in ("conversations.history", "conversations.replies"):
            return self._history(method, params)
        if method in ("chat.postMessage", "chat.update"):
            return {
                "ok": True,
                "channel": params.get("channel"),
                "ts": params.get("ts") or ts,
                "message": {"text": params.get("text"), "ts": ts},
            }
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method == "chat.getPermalink":
            channel, message = params.get("channel"), str(params.get("message_ts", ""))
            link = f"https://example.slack.com/archives/{channel}/p{message.replace('.', '')}"
            return {"ok": True, "channel": channel, "permalink": link}
        if method in ("views.open", "views.publish", "views.update", "views.push"):
            view = params.get("view")
            view = json.loads(view) if isinstance(view, str) else view
            return {"ok": True, "view": {"id": "V1", **(view or {})}}
        if method == "users.info":
            user = self.users.get(str(params.get("user")))
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        if method == "apps.connections.open":
            # Nothing listens there: Socket Mode clients keep retrying, which tests can watch.
            return {"ok": True, "url": "ws://127.0.0.1:9/link"}
        if method == "oauth.v2.access":
            return self._oauth_v2_access(params)
        if method == "auth.test":
            grant = self._tokens.get(token or "")
            if grant is not None:
                return {
                    "ok": True,
                    "team_id": grant.team_id,
                    "enterprise_id": grant.enterprise_id,
                    "user_id": "UBOT",
                    "bot_id": f"B{grant.team_id or grant.enterprise_id}",
                    "url": "https://example.enterprise.slack.com/",
                }
            return {"ok": True, "team_id": "T1", "user_id": "UBOT", "bot_id": "BBOT"}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts):06d}"
            self.upload_names[file_id] = str(params.get("filename"))
            return {"ok": True, "file_id": file_id, "upload_url": f"{self.url}upload/{file_id}"}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": f"D{params.get('users')}"}}
        if method == "files.completeUploadExternal":
            files = params.get("files")
            files = json.loads(files) if isinstance(files, str) else files or []
            shared = [{"id": f["id"], "title": f.get("title")} for f in files]
            return {"ok": True, "ts": ts, "files": shared}
        return {"ok": True}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                body = self.body()
                path = self.path.split("?")[0]
                if path.startswith("/api/upload/"):
                    with fake._lock:
                        fake.uploads[path.rsplit("/", 1)[1]] = body
                    self.answer(200, b"OK", {"Content-Type": "text/plain"})
                    return
                method = path.removeprefix("/api/")
                params = _params(body, self.headers.get("Content-Type", ""))
                # GET methods such as chat.getPermalink send their arguments in the query.
                query = self.path.partition("?")[2]
                params = _decoded({**dict(parse_qsl(query, keep_blank_values=True)), **params})
                with fake._lock:
                    gate = fake._holds.get(str(params.get("channel")))
                if gate is not None:
                    gate.wait(timeout=30)
                with fake._lock:
                    failure = fake._failure(method, str(params.get("channel")))
                    taken = failure is None or failure.status == TAKE_AND_DROP
                    if taken:
                        call = Call(method, params, dict(self.headers.items()))
                        call.answer = answer = fake._answer(method, params, call.token)
                        fake.calls.append(call)
                    else:
                        fake._rejected.append(method)
                if failure is not None and failure.status in (DROP, TAKE_AND_DROP):
                    # Hang up without a word, as a dropped connection or a crashed proxy does.
                    self.close_connection = True
                    return
                if failure is not None:
                    payload = json.dumps({"ok": False, "error": "ratelimited"}).encode()
                    self.answer(failure.status, payload, failure.headers)
                    return
                self.answer(200, json.dumps(answer).encode(), {"Content-Type": "application/json"})

            do_GET = do_POST

        return Handler


def _params(body: bytes, content_type: str) -> dict[str, Any]:
    if not body:
        return {}
    if "multipart" in content_type:
        return {"_multipart": body}
    if "json" in content_type:
        params: dict[str, Any] = dict(json.loads(body))
    else:
        params = dict(parse_qsl(body.decode(), keep_blank_values=True))
    return _decoded(params)


def _decoded(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters Slack takes as JSON inside a form or a query string, decoded."""
    for key in ("blocks", "view", "attachments", "files", "metadata"):
        if isinstance(params.get(key), str):
            with contextlib.suppress(ValueError):
                params[key] = json.loads(params[key])
    return params
