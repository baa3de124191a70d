"""Every table Tandem keeps. Each row belongs to one Slack workspace (`team_id`).

Datetimes are aware and in UTC; SQLModel's UTCDateTime keeps them so on SQLite too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Column, Index, Numeric, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from storage import limits


def utcnow() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC)


class LeadRating(SQLModel, table=True):
    """A rep's verdict on a lead marketing handed over; one per rep per lead."""

    __tablename__ = "lead_rating"
    __table_args__ = (
        UniqueConstraint("team_id", "lead_key", "user_id"),
        Index("ix_lead_rating_team_rated", "team_id", "rated_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    lead_ref: str = Field(max_length=limits.REFERENCE)
    lead_key: str = Field(max_length=limits.REFERENCE)
    user_id: str = Field(max_length=32)
    score: int
    campaign: str | None = Field(default=None, max_length=limits.NAME)
    segment: str | None = Field(default=None, max_length=limits.NAME)
    budget: bool | None = None
    authority: bool | None = None
    need: bool | None = None
    timing: bool | None = None
    reason: str = Field(default="", max_length=limits.REASON)
    rated_at: datetime = Field(default_factory=utcnow)


class GlossaryTerm(SQLModel, table=True):
    """One shared definition of a word both teams use."""

    __tablename__ = "glossary_term"
    __table_args__ = (
        UniqueConstraint("team_id", "term_key"),
        Index("ix_glossary_term_team_updated", "team_id", "updated_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    term: str = Field(max_length=limits.TERM)
    term_key: str = Field(max_length=limits.TERM)
    definition: str = Field(max_length=limits.DEFINITION)
    updated_by: str = Field(max_length=32)
    updated_at: datetime = Field(default_factory=utcnow)


class IntelPost(SQLModel, table=True):
    """A piece of field intelligence: a competitor move, customer word, market signal."""

    __tablename__ = "intel_post"
    __table_args__ = (
        Index("ix_intel_post_team_created", "team_id", "created_at"),
        Index("ix_intel_post_team_subject", "team_id", "subject_key", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    kind: str = Field(max_length=16)
    subject: str | None = Field(default=None, max_length=limits.NAME)
    subject_key: str | None = Field(default=None, max_length=limits.NAME)
    text: str = Field(max_length=limits.INTEL_TEXT)
    author_id: str = Field(max_length=32)
    posted_by: str = Field(max_length=32)
    channel_id: str | None = Field(default=None, max_length=32)
    permalink: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)


class WinLoss(SQLModel, table=True):
    """The outcome of a deal and why; the latest report of a deal stands."""

    __tablename__ = "win_loss"
    __table_args__ = (
        UniqueConstraint("team_id", "deal_key"),
        Index("ix_win_loss_team_reported", "team_id", "reported_at"),
        Index("ix_win_loss_team_competitor", "team_id", "competitor_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    outcome: str = Field(max_length=8)
    deal_ref: str = Field(max_length=limits.REFERENCE)
    deal_key: str = Field(max_length=limits.REFERENCE)
    competitor: str | None = Field(default=None, max_length=limits.NAME)
    competitor_key: str | None = Field(default=None, max_length=limits.NAME)
    amount: Decimal | None = Field(default=None, sa_column=Column(Numeric(14, 2)))
    currency: str | None = Field(default=None, max_length=3)  # ISO 4217, as the report gave it
    campaign: str | None = Field(default=None, max_length=limits.NAME)
    reason: str = Field(max_length=limits.REASON)
    user_id: str = Field(max_length=32)
    reported_at: datetime = Field(default_factory=utcnow)


class Collateral(SQLModel, table=True):
    """A piece of marketing collateral announced in a channel."""

    __tablename__ = "collateral"
    __table_args__ = (Index("ix_collateral_team_created", "team_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    url: str = Field(max_length=limits.URL)
    title: str = Field(max_length=limits.TITLE)
    tags: str = Field(default="", max_length=1000)
    author_id: str = Field(max_length=32)
    channel_id: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow)


class CollateralVote(SQLModel, table=True):
    """One person's verdict on one collateral item; voting again changes it."""

    __tablename__ = "collateral_vote"
    __table_args__ = (
        UniqueConstraint("collateral_id", "user_id"),
        Index("ix_collateral_vote_team_voted", "team_id", "voted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    collateral_id: int = Field(foreign_key="collateral.id", index=True)
    user_id: str = Field(max_length=32)
    vote: str = Field(max_length=16)
    voted_at: datetime = Field(default_factory=utcnow)


class Cadence(SQLModel, table=True):
    """When and where a workspace holds its monthly or quarterly meeting."""

    __tablename__ = "cadence"
    __table_args__ = (UniqueConstraint("team_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    kind: str = Field(max_length=16)
    channel_id: str = Field(max_length=32)
    day_rule: str = Field(max_length=32)
    at_time: str = Field(max_length=5)
    zone: str = Field(max_length=64)
    agenda_lead_minutes: int = 1440
    months: str = Field(max_length=40)
    active: bool = True
    set_by: str = Field(max_length=32)
    updated_at: datetime = Field(default_factory=utcnow)


class Delivery(SQLModel, table=True):
    """One reminder of one meeting occurrence, claimed before it is posted."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("cadence_id", "occurrence", "kind"),
        Index("ix_delivery_status_lease", "status", "lease_until"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    cadence_id: int = Field(foreign_key="cadence.id")
    occurrence: datetime
    kind: str = Field(max_length=16)
    status: str = Field(max_length=16)
    attempts: int = 0
    lease_until: datetime | None = None
    message_ts: str | None = Field(default=None, max_length=32)
    updated_at: datetime = Field(default_factory=utcnow)


class Receipt(SQLModel, table=True):
    """A request already acted on, so a redelivered event or a double click stores once."""

    __tablename__ = "receipt"
    __table_args__ = (UniqueConstraint("team_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    key: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class HandoffSetup(SQLModel, table=True):
    """How a workspace takes leads from marketing: its channel, SLA, webhook and event receiver."""

    __tablename__ = "handoff_setup"
    __table_args__ = (
        UniqueConstraint("team_id"),
        Index("ix_handoff_setup_token", "token_hash"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    channel_id: str | None = Field(default=None, max_length=32)  # None: no handoff channel
    sla_minutes: int = 240
    hours: str | None = Field(default=None, max_length=100)  # "mon-fri 09:00-18:00 Europe/Berlin"
    token_hash: str | None = Field(default=None, max_length=64)  # sha256 of the webhook secret
    notify_url: str | None = Field(default=None, max_length=limits.URL)
    notify_secret: str | None = Field(default=None, max_length=100)  # signs outbound events
    set_by: str = Field(default="", max_length=32)
    updated_at: datetime = Field(default_factory=utcnow)


class Handoff(SQLModel, table=True):
    """A lead marketing handed to sales over the webhook, and what sales did with it."""

    __tablename__ = "handoff"
    __table_args__ = (
        UniqueConstraint("team_id", "idempotency_key"),
        Index("ix_handoff_team_received", "team_id", "received_at"),
        Index("ix_handoff_status_due", "status", "due_at"),
        # One open handoff per lead sent without an Idempotency-Key: such a repeat is the same.
        Index(
            "ix_handoff_open_lead",
            "team_id",
            "lead_key",
            unique=True,
            postgresql_where=text("status = 'open' AND idempotency_key IS NULL"),
            sqlite_where=text("status = 'open' AND idempotency_key IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    lead_ref: str = Field(max_length=limits.REFERENCE)
    lead_key: str = Field(max_length=limits.REFERENCE)
    name: str | None = Field(default=None, max_length=limits.NAME)
    company: str | None = Field(default=None, max_length=limits.NAME)
    email: str | None = Field(default=None, max_length=limits.NAME)
    campaign: str | None = Field(default=None, max_length=limits.NAME)
    segment: str | None = Field(default=None, max_length=limits.NAME)
    score: float | None = None  # marketing's own score, as sent
    url: str | None = Field(default=None, max_length=limits.URL)
    notes: str | None = Field(default=None, max_length=limits.REASON)
    idempotency_key: str | None = Field(default=None, max_length=limits.REFERENCE)
    channel_id: str = Field(max_length=32)
    sla_minutes: int
    due_at: datetime  # when the SLA runs out, working hours counted in
    status: str = Field(default="open", max_length=16)  # open, accepted, rejected
    received_at: datetime = Field(default_factory=utcnow)
    decided_by: str | None = Field(default=None, max_length=32)
    decided_at: datetime | None = None
    accept_seconds: int | None = None  # from handoff to accept, for the median in SQL
    reason: str | None = Field(default=None, max_length=limits.REASON)  # why it was rejected
    unmet: str | None = Field(default=None, max_length=100)  # criteria a rejection names
    message_ts: str | None = Field(default=None, max_length=32)  # the lead card


class HandoffPost(SQLModel, table=True):
    """A post about a handoff (its card, its SLA reminder), claimed before it is posted."""

    __tablename__ = "handoff_post"
    __table_args__ = (
        UniqueConstraint("handoff_id", "what"),
        Index("ix_handoff_post_status_lease", "status", "lease_until"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    handoff_id: int = Field(foreign_key="handoff.id")
    what: str = Field(max_length=16)  # card, reminder
    status: str = Field(max_length=16)  # claimed, done
    attempts: int = 0
    lease_until: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class OutboxEvent(SQLModel, table=True):
    """An event for the workspace's receiver, written with the change it reports."""

    __tablename__ = "outbox_event"
    __table_args__ = (
        UniqueConstraint("event_id"),
        Index("ix_outbox_event_status_next", "status", "next_attempt_at"),
        Index("ix_outbox_event_lead", "team_id", "lead_key", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=40)
    team_id: str = Field(max_length=32)
    lead_key: str = Field(max_length=limits.REFERENCE)
    body: str = Field(max_length=20000)  # the exact JSON sent, so every retry is the same
    status: str = Field(default="pending", max_length=16)  # pending, delivered, failed
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    lease_until: datetime | None = None
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    delivered_at: datetime | None = None


class CompetitorCard(SQLModel, table=True):
    """What both teams agreed to say about a competitor, and who last reviewed it."""

    __tablename__ = "competitor_card"
    __table_args__ = (UniqueConstraint("team_id", "competitor_key"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    competitor_key: str = Field(max_length=limits.NAME)  # storage.competitors.competitor_key
    name: str = Field(max_length=limits.NAME)  # as shown
    why_win: str = Field(default="", max_length=limits.CARD_FIELD)
    why_lose: str = Field(default="", max_length=limits.CARD_FIELD)
    pitch: str = Field(default="", max_length=limits.CARD_FIELD)
    answer: str = Field(default="", max_length=limits.CARD_FIELD)
    reviewed_by: str | None = Field(default=None, max_length=32)
    reviewed_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class CompetitorAlias(SQLModel, table=True):
    """Another spelling of a competitor: rows stored under `alias_key` count as `competitor_key`.

    Resolved when read, so data stored before the alias joins too.
    """

    __tablename__ = "competitor_alias"
    __table_args__ = (
        UniqueConstraint("team_id", "alias_key"),
        Index("ix_competitor_alias_team_competitor", "team_id", "competitor_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    alias_key: str = Field(max_length=limits.NAME)
    alias: str = Field(max_length=limits.NAME)  # as typed
    competitor_key: str = Field(max_length=limits.NAME)
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow)


class EnterpriseTeam(SQLModel, table=True):
    """A workspace of an Enterprise Grid organization that installed Tandem org-wide.

    Slack names no workspaces in an org-wide install, so the clock learns from the requests
    which organization's installation serves a workspace.
    """

    __tablename__ = "enterprise_team"

    team_id: str = Field(primary_key=True, max_length=32)
    enterprise_id: str = Field(max_length=32)


# OAuth mode: the tables of slack_sdk's SQLAlchemy installation and OAuth state stores, built
# by the stores' own definitions, so the migration that creates them is checked against them.
SLACK_INSTALLATIONS = SQLAlchemyInstallationStore.build_installations_table(
    SQLModel.metadata, SQLAlchemyInstallationStore.default_installations_table_name
)
SLACK_BOTS = SQLAlchemyInstallationStore.build_bots_table(
    SQLModel.metadata, SQLAlchemyInstallationStore.default_bots_table_name
)
SLACK_OAUTH_STATES = SQLAlchemyOAuthStateStore.build_oauth_states_table(
    SQLModel.metadata, SQLAlchemyOAuthStateStore.default_table_name
)
