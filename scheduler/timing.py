"""Time within one run of the clock: a run's own clock, and how long to wait before a retry."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

Clock = Callable[[], datetime]


def running_from(now: datetime) -> Clock:
    """The run's clock: `now`, moving on in real time, for leases taken during the run."""
    started = time.monotonic()
    return lambda: now + timedelta(seconds=time.monotonic() - started)


def backoff(attempts: int, *, first: timedelta, most: timedelta) -> timedelta:
    """The wait after `attempts` failed tries: `first`, doubling each time, at most `most`."""
    return min(first * 2 ** min(max(attempts - 1, 0), 20), most)
