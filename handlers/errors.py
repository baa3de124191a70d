"""The last word when a listener fails: the person still gets an answer, never a bare error."""

from __future__ import annotations

import json
from logging import Logger
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from sqlalchemy.exc import SQLAlchemyError

from bot.services import Services
from core.wording import SORRY_OTHER, SORRY_STORAGE
from handlers.forms import saved_view


def apology(error: Exception, body: dict[str, Any]) -> BoltResponse | None:
    """What to answer Slack with instead of a 500, for the requests a person waits on."""
    message = SORRY_STORAGE if isinstance(error, SQLAlchemyError) else SORRY_OTHER
    if body.get("command"):
        return BoltResponse(status=200, body=message)
    if body.get("type") == "view_submission":
        view = saved_view(title=_title_of(body.get("view")), message=message, tick=False)
        answer = {"response_action": "update", "view": view}
        return BoltResponse(
            status=200, body=json.dumps(answer), headers={"content-type": ["application/json"]}
        )
    # Events and button clicks: a 500 lets Slack retry events; a click can be tried again.
    return None


def _title_of(view: object) -> str:
    """The form's title, for the apology that replaces it; any shape may arrive here."""
    title = view.get("title") if isinstance(view, dict) else None
    text = title.get("text") if isinstance(title, dict) else None
    # Slack refuses a modal title over 24 characters.
    return text[:24] if isinstance(text, str) and text.strip() else "Tandem"


def register(app: AsyncApp, services: Services) -> None:
    @app.error
    async def on_error(
        error: Exception, body: dict[str, Any], logger: Logger
    ) -> BoltResponse | None:
        logger.error("a listener failed", exc_info=error)
        return apology(error, body)
