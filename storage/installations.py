"""Which installation serves a workspace, for the posts made outside a request (OAuth mode).

Bolt keeps the installations itself, in slack_sdk's SQLAlchemy installation store (its
tables are declared in storage.models). A request carries its workspace and organization
to Bolt; the clock and the lead-card poster know only the workspace, so they look the
bot up here: the workspace's own installation, else its organization's org-wide one.
"""

from __future__ import annotations

from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import ColumnElement, and_, select, true
from sqlmodel import Session

from storage.db import on_conflict_insert
from storage.models import SLACK_BOTS, EnterpriseTeam


def bot_of(*, session: Session, client_id: str, team_id: str) -> Bot | None:
    """The newest bot installed for `team_id`, itself or org-wide; None once uninstalled."""
    bots = SLACK_BOTS.c
    own = bots.team_id == team_id
    found = _newest(session, client_id, own)
    if found is not None:
        return found
    enterprise = session.get(EnterpriseTeam, team_id)
    if enterprise is None:
        return None
    org_wide = and_(
        bots.enterprise_id == enterprise.enterprise_id,
        bots.team_id.is_(None),
        bots.is_enterprise_install == true(),
    )
    return _newest(session, client_id, org_wide)


def _newest(session: Session, client_id: str, which: ColumnElement[bool]) -> Bot | None:
    bots = SLACK_BOTS.c
    query = (
        select(SLACK_BOTS)
        .where(bots.client_id == client_id, bots.bot_token.is_not(None), which)
        .order_by(bots.installed_at.desc())
        .limit(1)
    )
    row = session.execute(query).mappings().first()
    return None if row is None else SQLAlchemyInstallationStore.build_bot_entity(row)


def remember_enterprise_team(*, session: Session, team_id: str, enterprise_id: str) -> None:
    """Record that `team_id` belongs to the organization `enterprise_id`."""
    insert = on_conflict_insert(session)
    statement = insert(EnterpriseTeam).values(team_id=team_id, enterprise_id=enterprise_id)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["team_id"], set_={"enterprise_id": enterprise_id}
        )
    )
