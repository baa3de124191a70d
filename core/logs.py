"""Logging failures so that an outage reads as a few lines, not a traceback per request."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# Errors that say the database is away or slow, not that our code is wrong: the first line
# of the message is all an operator needs, and a traceback per request only buries it.
OUTAGE = (OperationalError, InterfaceError, PoolTimeout)


def is_outage(error: BaseException) -> bool:
    return isinstance(error, OUTAGE) or (
        isinstance(error, DBAPIError) and error.connection_invalidated
    )


@dataclass
class _Seen:
    since: float
    dropped: int = 0


class OncePerInterval(logging.Filter):
    """Lets one record per kind of failure through per `interval` seconds; drops the rest.

    A failure is a record that carries an exception, or one logged with
    `extra={"repeats": True}`; its kind is the message's template and the exception's type.
    The first record of a kind after an interval says how many like it were dropped.
    Database outages lose their traceback (one line with the error's first line); other
    exceptions keep it, since those are bugs to fix.
    """

    def __init__(self, interval: float = 60.0, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.interval = interval
        self._clock = clock
        self._seen: dict[tuple[str, str, str], _Seen] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is None and not getattr(record, "repeats", False):
            return True
        kind = (record.name, str(record.msg), type(error).__name__)
        now = self._clock()
        with self._lock:
            seen = self._seen.get(kind)
            if seen is not None and now - seen.since < self.interval:
                seen.dropped += 1
                return False
            self._seen[kind] = _Seen(now)
            dropped = seen.dropped if seen is not None else 0
        message = record.getMessage()
        if error is not None and is_outage(error):
            first = str(error).strip().splitlines()[0] if str(error).strip() else ""
            message += f": {type(error).__name__}: {first}"
            record.exc_info = None
            record.exc_text = None
        if dropped:
            message += f" ({dropped} more like it in the last {self.interval:.0f} s not logged)"
        record.msg, record.args = message, None
        return True


def quiet_failures(logger: logging.Logger | None = None) -> None:
    """Put a `OncePerInterval` on every handler of `logger` (the root logger by default), so
    failures logged by libraries too (Bolt, uvicorn) are counted the same way."""
    for handler in (logger or logging.getLogger()).handlers:
        handler.addFilter(OncePerInterval())
