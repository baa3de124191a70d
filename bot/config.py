"""Settings read from the environment and `.env`, failing fast with one clear line."""

from __future__ import annotations

import os
import sys
from typing import Annotated, NoReturn

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from storage.db import normalize_url


class Settings(BaseSettings):
    """Everything the processes need to know about their surroundings."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    database_url: str = Field(default="sqlite:///tandem.db", min_length=1)
    slack_api_url: str = "https://slack.com/api/"
    port: int = Field(default=3000, ge=1, le=65535)
    web_concurrency: int | None = Field(default=None, ge=1, le=64)
    tandem_leads: Annotated[frozenset[str], NoDecode] = frozenset()
    tandem_retention_days: int | None = Field(default=None, ge=1)

    @field_validator(
        "slack_bot_token",
        "slack_app_token",
        "slack_signing_secret",
        "slack_client_id",
        "slack_client_secret",
        "tandem_retention_days",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def oauth(self) -> bool:
        """Whether Tandem is installed by OAuth into many workspaces (SPEC §7), not one token."""
        return self.slack_client_id is not None

    @property
    def web_workers(self) -> int:
        """WEB_CONCURRENCY, or by default one worker per core on PostgreSQL and one on SQLite.

        Measured in bench/RESULTS.md; SQLite's file takes one writer at a time, so more
        worker processes there only queue on its lock.
        """
        if self.web_concurrency is not None:
            return self.web_concurrency
        if self.database_url.startswith("sqlite"):
            return 1
        return os.cpu_count() or 1

    @field_validator("tandem_leads", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _http_base(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        try:
            url = make_url(normalize_url(value))
        except ArgumentError:
            raise ValueError(f"“{value}” is not a database URL; {_URL_EXAMPLES}") from None
        try:
            url.get_dialect().import_dbapi()
        except (NoSuchModuleError, ImportError):
            kind = url.drivername
            raise ValueError(f"no driver for {kind} is installed; {_URL_EXAMPLES}") from None
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return value


_URL_EXAMPLES = "use sqlite:///tandem.db or postgresql://user:password@host/dbname"
_MISSING = "{name} is not set (put it in the environment or in .env)"


def _fail(message: str) -> NoReturn:
    print(f"tandem: {message}", file=sys.stderr)
    raise SystemExit(2)


def load_settings(*, web: bool = False, slack: bool = True) -> Settings:
    """Read the settings, or stop the process with one line naming the bad variable.

    Talking to Slack needs the bot token, or instead the OAuth client id and secret; the
    web process also needs the signing secret unless it runs over Socket Mode.
    """
    try:
        settings = Settings()
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "configuration"
        if first["type"] == "missing":
            _fail(_MISSING.format(name=name))
        # pydantic words a validator's ValueError "Value error, …": the reason alone will do.
        reason = str(first["msg"]).removeprefix("Value error, ")
        _fail(f"{name} is invalid: {reason}")
    if settings.slack_client_id is not None or settings.slack_client_secret is not None:
        _check_oauth(settings, web=web)
        return settings
    if (slack or web) and settings.slack_bot_token is None:
        _fail(_MISSING.format(name="SLACK_BOT_TOKEN"))
    if web and settings.slack_app_token is None and settings.slack_signing_secret is None:
        _fail(_MISSING.format(name="SLACK_SIGNING_SECRET"))
    return settings


def _check_oauth(settings: Settings, *, web: bool) -> None:
    """OAuth mode needs the client id, its secret and the signing secret, and no bot token."""
    if settings.slack_client_id is None:
        _fail("SLACK_CLIENT_ID is not set, but SLACK_CLIENT_SECRET is: OAuth needs both")
    if settings.slack_client_secret is None:
        _fail("SLACK_CLIENT_SECRET is not set, but SLACK_CLIENT_ID is: OAuth needs both")
    if settings.slack_bot_token is not None:
        _fail(
            "SLACK_BOT_TOKEN is set beside SLACK_CLIENT_ID: set the bot token for one "
            "workspace, or the client id and secret to be installed into many, not both"
        )
    if web and settings.slack_app_token is not None:
        _fail(
            "SLACK_APP_TOKEN is set beside SLACK_CLIENT_ID: Socket Mode serves no install "
            "pages; unset it to be installed over HTTP"
        )
    if web and settings.slack_signing_secret is None:
        _fail(_MISSING.format(name="SLACK_SIGNING_SECRET"))
