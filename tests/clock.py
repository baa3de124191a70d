"""The clock the app under test reads: set by the test, never the real one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# A Monday two weeks before a first Tuesday, far from any daylight-saving change.
NOW = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)


@dataclass
class SetClock:
    """Tells the app it is `now`; a test moves it with `advance` or by setting `now`."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by
