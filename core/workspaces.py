"""Which Slack client posts for which workspace, outside a request (the clock, retries).

With one bot token a single client serves every workspace; installed by OAuth, each
workspace has its own token, looked up by a `ClientFor` (bot.slack.workspace_clients),
which answers None for a workspace that uninstalled Tandem or revoked its token.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from slack_sdk import WebClient

ClientFor = Callable[[str], WebClient | None]


class Workspaces:
    """One run's clients, each workspace's looked up once."""

    def __init__(self, slack: WebClient | ClientFor) -> None:
        self._slack = slack
        self._found: dict[str, WebClient | None] = {}
        self._lock = threading.Lock()

    def serves(self, team_id: str) -> bool:
        """Whether Tandem can post in `team_id`."""
        return self._lookup(team_id) is not None

    def client(self, team_id: str) -> WebClient:
        """The client for `team_id`, which `serves`."""
        client = self._lookup(team_id)
        if client is None:
            raise LookupError(f"Tandem is not installed in workspace {team_id}")
        return client

    def _lookup(self, team_id: str) -> WebClient | None:
        if isinstance(self._slack, WebClient):
            return self._slack
        with self._lock:
            if team_id not in self._found:
                self._found[team_id] = self._slack(team_id)
            return self._found[team_id]
