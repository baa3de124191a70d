"""The App Home tab: the last 30 days of a workspace at a glance, and the next meetings."""

from __future__ import annotations

from datetime import timedelta
from logging import Logger
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import SQLAlchemyError

from bot.services import Services
from handlers.common import team_of
from handlers.home import views
from storage.home import home_data


def register(app: AsyncApp, services: Services) -> None:
    db = services.db

    @app.event("app_home_opened")
    async def home_opened(
        event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient, logger: Logger
    ) -> None:
        # The Messages tab opens this event too; only the Home tab has a view to publish.
        if event.get("tab") != "home":
            return
        now = services.now()
        since = now - timedelta(days=views.DAYS)
        try:
            data = await db.read(home_data, team_id=team_of(context), since=since, until=now)
        except SQLAlchemyError:
            logger.exception("could not read the Home tab's figures")
            view = views.unavailable_view()
        else:
            view = views.home_view(data=data, now=now)
        await client.views_publish(user_id=event["user"], view=view)
