"""A workspace's receiver of events: a real HTTP server on 127.0.0.1 that records what arrived.

It can be told to answer the next requests with an error status or by hanging up (`DROP`),
to answer late, and to stop and start again on the same port, as a CRM that goes down does.
Every request is answered with `Connection: close`, so a stopped receiver takes nothing.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.stub_http import QuietHandler

DROP = 0  # a `fail` status meaning: close the connection without answering


@dataclass(frozen=True)
class Request:
    body: bytes  # raw, as it came over the wire
    headers: dict[str, str]  # names in lower case
    status: int  # what the receiver answered (DROP: nothing)

    @property
    def event_id(self) -> str:
        return str(json.loads(self.body)["id"])

    @property
    def taken(self) -> bool:
        return 200 <= self.status < 300


class Receiver:
    """Start with `Receiver().start()`; events go to `.url`."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._failures: deque[int] = deque()
        self._failing: int | None = None
        self._delay = 0.0
        self._lock = threading.Lock()
        server = self._bind(0)
        self._server: ThreadingHTTPServer | None = server
        self.port = server.server_port
        self.url = f"http://127.0.0.1:{self.port}/tandem/events"

    def start(self) -> Receiver:
        if self._server is None:
            self._server = self._bind(self.port)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Go down: the port refuses connections until `start`."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def fail(self, status: int, *, times: int | None = 1) -> None:
        """Answer the next `times` requests with `status` (`None`: all, until `recover`)."""
        with self._lock:
            if times is None:
                self._failing = status
            else:
                self._failures.extend([status] * times)

    def answer_after(self, seconds: float) -> None:
        """Take each request, but answer it only after `seconds`."""
        self._delay = seconds

    def recover(self) -> None:
        with self._lock:
            self._failures.clear()
            self._failing = None
            self._delay = 0.0

    def tries(self) -> list[str]:
        """The event id of every request, answered or not, in the order they came."""
        with self._lock:
            return [request.event_id for request in self.requests]

    def taken(self) -> list[Request]:
        """The requests answered with a 2xx, in the order they came."""
        with self._lock:
            return [request for request in self.requests if request.taken]

    def _bind(self, port: int) -> ThreadingHTTPServer:
        server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        server.daemon_threads = True
        return server

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                body = self.body()
                headers = {name.lower(): value for name, value in self.headers.items()}
                with receiver._lock:
                    failure = receiver._failures.popleft() if receiver._failures else None
                    status = failure if failure is not None else receiver._failing or 200
                    receiver.requests.append(Request(body, headers, status))
                    delay = receiver._delay
                self.close_connection = True
                if status == DROP:
                    # Hang up without a word, as a crashed proxy does.
                    return
                time.sleep(delay)
                answer = b'{"ok": true}' if status < 300 else b'{"error": "oops"}'
                headers = {"Content-Type": "application/json", "Connection": "close"}
                self.answer(status, answer, headers)

        return Handler
