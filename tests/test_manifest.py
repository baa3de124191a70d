"""The shipped manifest and the app agree: every declared command and shortcut is served."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.slack_client import SignedSlack, reply_text

MANIFEST: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parent.parent / "manifest.yml").read_text()
)


def test_manifest_declares_what_the_spec_lists() -> None:
    """The manifest declares the eight commands, the shortcut, the Home event and the scopes."""
    features = MANIFEST["features"]
    commands = {c["command"] for c in features["slash_commands"]}
    assert commands == {
        "/lead",
        "/intel",
        "/winloss",
        "/collateral",
        "/cadence",
        "/handoff",
        "/glossary",
        "/competitor",
        "/tandem",
    }
    assert [s["callback_id"] for s in features["shortcuts"]] == ["save_as_intel"]
    assert features["app_home"]["home_tab_enabled"] is True
    assert "app_home_opened" in MANIFEST["settings"]["event_subscriptions"]["bot_events"]
    scopes = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "users:read", "files:write", "im:write"} <= scopes


async def test_every_declared_command_answers_help(slack: SignedSlack) -> None:
    """Each command in the manifest is handled by the app and answers `help` with its usage."""
    for declared in MANIFEST["features"]["slash_commands"]:
        response = await slack.command(declared["command"], "help")
        assert response.status_code == 200, declared["command"]
        assert declared["command"] in reply_text(response), declared["command"]
