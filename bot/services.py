"""What every listener needs besides Bolt's own arguments."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.config import Settings
from storage.db import Database
from storage.models import utcnow


@dataclass(frozen=True)
class Services:
    settings: Settings
    db: Database
    # The one clock listeners read; tests give the app a clock they set.
    clock: Callable[[], datetime] = utcnow

    def now(self) -> datetime:
        """The current instant, aware, in UTC."""
        return self.clock()

    def is_lead(self, user_id: str) -> bool:
        """Whether TANDEM_LEADS names this user (admins and owners are checked with Slack)."""
        return user_id in self.settings.tandem_leads
