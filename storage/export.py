"""What `/tandem export` sends: each kind of record as rows, streamed in batches.

On PostgreSQL the rows come through a server-side cursor (`stream_results`), so neither the
database driver nor Python holds more than one batch at a time, whatever the table's size.

The database shapes each value as the CSV shows it, so Python only passes rows through:
text that a spreadsheet would run as a formula (starting with = + - @, tab or carriage
return, as OWASP lists them) gets a leading ', times are ISO 8601 in UTC
(`2026-11-30T09:15:00Z`), booleans `true`/`false`, a missing value stays NULL (empty).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from sqlalchemy import (
    Boolean,
    ColumnElement,
    DateTime,
    Select,
    String,
    case,
    func,
    literal,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, col

from storage.collateral import VOTES
from storage.models import (
    Cadence,
    Collateral,
    CollateralVote,
    GlossaryTerm,
    Handoff,
    IntelPost,
    LeadRating,
    WinLoss,
)

BATCH = 5_000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class iso_utc(FunctionElement[str]):
    """A timestamp as ISO 8601 text in UTC, to the second, in each database's own terms."""

    type = String()
    inherit_cache = True


@compiles(iso_utc)
def _iso_default(element: iso_utc, compiler: SQLCompiler, **kw: Any) -> str:
    # Tandem runs on PostgreSQL and SQLite; this only lets such a query be printed.
    return f"iso_utc({compiler.process(element.clauses, **kw)})"


@compiles(iso_utc, "postgresql")
def _iso_postgresql(element: iso_utc, compiler: SQLCompiler, **kw: Any) -> str:
    at = compiler.process(element.clauses, **kw)
    return f"to_char({at} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"


@compiles(iso_utc, "sqlite")
def _iso_sqlite(element: iso_utc, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps UTC times as text without an offset.
    return f"strftime('%Y-%m-%dT%H:%M:%SZ', {compiler.process(element.clauses, **kw)})"


# Text Tandem itself writes (Slack ids, its own words for kinds and states): never a formula.
_OWN_TEXT = frozenset(
    {"user_id", "author_id", "posted_by", "channel_id", "decided_by", "updated_by", "set_by"}
    | {"kind", "status", "outcome", "day_rule", "at_time", "zone", "months"}
)


def shown(column: Any) -> Any:
    """`column` as the CSV shows it (see above)."""
    if getattr(column, "key", None) in _OWN_TEXT:
        return column
    stored = getattr(column.type, "impl_instance", column.type)  # a TypeDecorator's own type
    if isinstance(stored, DateTime):
        return iso_utc(column)
    if isinstance(stored, Boolean):
        return case((column.is_(True), "true"), (column.is_(False), "false"))
    if isinstance(stored, String):
        starts = func.substr(column, 1, 1)
        return case((starts.in_(FORMULA_STARTS), literal("'") + column), else_=column)
    return column


@dataclass(frozen=True)
class Kind:
    """One file of the export: its name, and each column's header and value."""

    name: str  # the file's name without `.csv`
    title: str  # what the file holds, for people
    fields: tuple[tuple[str, Any], ...]  # (header, column)
    team: Any  # the column holding the workspace
    time: Any  # the column that `days:` bounds; None: every row, whatever its age
    order: Any
    votes: bool = False  # joined with each row's collateral votes, to count them

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(header for header, _ in self.fields)

    def query(self) -> Select[Any]:
        query = select(*(shown(column) for _, column in self.fields))
        if self.votes:
            voted = col(CollateralVote.collateral_id) == col(Collateral.id)
            query = query.outerjoin(CollateralVote, voted).group_by(col(Collateral.id))
        return query


def _fields(model: Any, *names: str) -> tuple[tuple[str, Any], ...]:
    """Columns of `model` exported under their own names, or `header=attribute`."""
    pairs = (name.partition("=") for name in names)
    return tuple((header, col(getattr(model, attr or header))) for header, _, attr in pairs)


def _votes(vote: str) -> ColumnElement[Any]:
    """How many votes of `vote` the collateral item has (in the query joining its votes)."""
    return func.count(case((col(CollateralVote.vote) == vote, 1)))


def _kinds() -> tuple[Kind, ...]:
    r, h, i, d, c, g, m = (
        LeadRating,
        Handoff,
        IntelPost,
        WinLoss,
        Collateral,
        GlossaryTerm,
        Cadence,
    )
    return (
        Kind(
            "lead_ratings",
            "lead ratings",
            _fields(r, "lead=lead_ref", "rated_by=user_id", "score", "campaign", "segment")
            + _fields(r, "budget", "authority", "need", "timing", "reason", "rated_at"),
            col(r.team_id),
            col(r.rated_at),
            col(r.id),
        ),
        Kind(
            "handoffs",
            "lead handoffs",
            _fields(h, "id", "lead=lead_ref", "name", "company", "email", "campaign", "segment")
            + _fields(h, "marketing_score=score", "crm_url=url", "notes", "channel=channel_id")
            + _fields(h, "sla_minutes", "received_at", "due_at", "status", "decided_by")
            + _fields(h, "decided_at", "accept_seconds", "rejection_reason=reason", "unmet"),
            col(h.team_id),
            col(h.received_at),
            col(h.id),
        ),
        Kind(
            "intel",
            "field intel",
            _fields(i, "id", "kind", "subject", "text", "author=author_id", "posted_by")
            + _fields(i, "channel=channel_id", "permalink", "created_at"),
            col(i.team_id),
            col(i.created_at),
            col(i.id),
        ),
        Kind(
            "deals",
            "won and lost deals",
            _fields(
                d,
                "deal=deal_ref",
                "outcome",
                "competitor",
                "amount",
                "currency",
                "campaign",
                "reason",
            )
            + _fields(d, "reported_by=user_id", "reported_at"),
            col(d.team_id),
            col(d.reported_at),
            col(d.id),
        ),
        Kind(
            "collateral",
            "collateral with votes",
            _fields(c, "id", "title", "url", "tags", "shared_by=author_id", "channel=channel_id")
            + _fields(c, "created_at")
            + tuple((f"votes_{v}", _votes(v)) for v in VOTES),
            col(c.team_id),
            col(c.created_at),
            col(c.id),
            votes=True,
        ),
        Kind(
            "glossary",
            "glossary terms",
            _fields(g, "term", "definition", "updated_by", "updated_at"),
            col(g.team_id),
            col(g.updated_at),
            col(g.term_key),
        ),
        Kind(
            "cadences",
            "meeting cadences",
            _fields(m, "meeting=kind", "channel=channel_id", "day_rule", "time=at_time")
            + _fields(m, "time_zone=zone", "agenda_minutes_before=agenda_lead_minutes")
            + _fields(m, "months", "active", "set_by", "updated_at"),
            col(m.team_id),
            None,  # how meetings are set up, not records in time: always all of them
            col(m.kind),
        ),
    )


KINDS: tuple[Kind, ...] = _kinds()


def _selected(kind: Kind, team_id: str, since: datetime | None) -> Select[Any]:
    query = kind.query().where(kind.team == team_id)
    if since is not None and kind.time is not None:
        query = query.where(kind.time >= since)
    return query.order_by(kind.order)


def export_rows(
    *,
    session: Session,
    kind: Kind,
    team_id: str,
    since: datetime | None = None,
    batch: int = BATCH,
) -> Iterator[Sequence[Sequence[Any]]]:
    """The workspace's rows of `kind` (made or changed since `since`, if given) in the order
    they were stored, in batches of at most `batch`; values as the CSV shows them.

    The iterator holds the session's connection until it is exhausted or closed.
    """
    query = _selected(kind, team_id, since)
    streamed = query.execution_options(stream_results=True, yield_per=batch)
    result = session.connection().execute(streamed)
    try:
        yield from result.partitions()
    finally:
        result.close()


def write_csv(
    *, session: Session, kind: Kind, team_id: str, since: datetime | None, out: BinaryIO
) -> int:
    """Write the rows of `export_rows` to `out` as UTF-8 CSV lines; how many rows.

    PostgreSQL writes the CSV itself (`COPY … TO STDOUT`, streamed in chunks): several
    times faster than fetching rows into Python, measured in bench/RESULTS.md.
    """
    if session.get_bind().dialect.name == "postgresql":
        return _copy(session, _selected(kind, team_id, since), out)
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text, lineterminator="\n")
    count = 0
    for rows in export_rows(session=session, kind=kind, team_id=team_id, since=since):
        writer.writerows(rows)
        count += len(rows)
    text.detach()  # `out` stays open for the caller
    return count


def _copy(session: Session, query: Select[Any], out: BinaryIO) -> int:
    connection = session.connection()
    compiled = query.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    driver = connection.connection.driver_connection  # psycopg's own connection
    statement = f"COPY ({compiled}) TO STDOUT (FORMAT csv)"
    with driver.cursor() as cursor:  # type: ignore[union-attr]
        with cursor.copy(statement, compiled.construct_params()) as copy:
            for chunk in copy:
                out.write(chunk)
        return int(cursor.rowcount)
