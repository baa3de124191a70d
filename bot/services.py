"""What every listener needs besides Bolt's own arguments."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from storage.db import Database


@dataclass(frozen=True)
class Services:
    settings: Settings
    db: Database

    def is_lead(self, user_id: str) -> bool:
        """Whether TANDEM_LEADS names this user (admins and owners are checked with Slack)."""
        return user_id in self.settings.tandem_leads
