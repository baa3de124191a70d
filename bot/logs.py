"""Failures logged once per kind and interval, so an outage leaves a readable log.

With the database down, every request fails the same way: logged as it happens, that was
two chained tracebacks for every failed request (6,886 log lines for 51 requests in a 5 s
PostgreSQL outage). Here a failure is a record with an exception; its kind is where it was
logged (logger and message) and the exception's type.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

INTERVAL = 10.0


@dataclass
class _Seen:
    passed_at: float
    left_out: int = 0


class OncePerKind(logging.Filter):
    """Lets through one failure of each kind per `interval` seconds and leaves out the rest.

    The first of a kind keeps its traceback; later ones are a single line naming the
    exception and how many like it were left out since the last one shown.
    """

    def __init__(
        self, *, interval: float = INTERVAL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self.interval = interval
        self.clock = clock
        self._seen: dict[tuple[str, object, str], _Seen] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.exc_info or record.exc_info[1] is None:
            return True
        error = record.exc_info[1]
        kind = (record.name, record.msg, type(error).__qualname__)
        now = self.clock()
        with self._lock:
            seen = self._seen.get(kind)
            if seen is None:
                self._seen[kind] = _Seen(passed_at=now)
                return True
            if now - seen.passed_at < self.interval:
                seen.left_out += 1
                return False
            left_out, seen.passed_at, seen.left_out = seen.left_out, now, 0
        summary = f"{record.getMessage()}: {type(error).__name__}: {_first_line(error)}"
        if left_out:
            summary += f" ({left_out} more like this left out)"
        record.msg, record.args = summary, None
        record.exc_info, record.exc_text = None, None
        return True


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else ""


def quiet_failures(logger: logging.Logger | None = None) -> None:
    """Put a `OncePerKind` on every handler of `logger` (the root logger by default)."""
    for handler in (logger or logging.getLogger()).handlers:
        handler.addFilter(OncePerKind())
