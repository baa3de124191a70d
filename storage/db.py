"""The engine, sessions and schema migration for SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlmodel import Session

T = TypeVar("T")
# What a statement on a request's path may take, lock waits included: Slack waits 3 s for
# an answer, and an apology in time beats a hang. Migrations and the clock are unbounded.
REQUEST_TIMEOUT = 2.0
# How long a request waits on the database at most, even when it does not answer at all
# (frozen, its network gone), which no server-side timeout can catch.
REQUEST_DEADLINE = REQUEST_TIMEOUT + 0.5
MIGRATIONS = Path(__file__).parent / "migrations"
# Any constant will do; it names the lock every starting process queues on.
_MIGRATION_LOCK = 7_212_031
# How long a health check waits for SQLite's write lock (another process writing).
_PING_BUSY_MS = 500


def normalize_url(url: str) -> str:
    """Point bare `postgresql://` URLs at psycopg 3, the driver Tandem installs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(
    url: str, *, pre_ping: bool = True, timeout: float | None = None, **kwargs: Any
) -> Engine:
    """An engine tuned for the database behind `url`.

    `pre_ping` checks each pooled connection before use: one round trip that the
    group-commit writer, which retries a batch on a dropped connection, can spare.
    `timeout` bounds each statement, lock wait, connection attempt and wait for a pooled
    connection to that many seconds (REQUEST_TIMEOUT on a request's path).
    """
    url = normalize_url(url)
    busy = timeout if timeout is not None else 30.0
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": busy}, **kwargs
        )
        event.listen(engine, "connect", partial(_sqlite_pragmas, busy_ms=int(busy * 1000)))
        if timeout is not None:
            _bound_sqlite_statements(engine, timeout)
        return engine
    # Batched statements change with the batch's size, so psycopg's automatic prepared
    # statements only churn its cache: measured in bench/RESULTS.md (handoff webhook).
    connect_args: dict[str, Any] = {"connect_timeout": 5, "prepare_threshold": None}
    if timeout is not None:
        ms = int(timeout * 1000)
        connect_args["connect_timeout"] = max(2, math.ceil(timeout))  # libpq's least is 2
        connect_args["options"] = f"-c statement_timeout={ms} -c lock_timeout={ms}"
        kwargs.setdefault("pool_timeout", timeout)
    return create_engine(
        url,
        pool_pre_ping=pre_ping,
        pool_size=10,
        max_overflow=10,
        connect_args=connect_args,
        **kwargs,
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, *, busy_ms: int) -> None:
    # WAL lets readers work beside the one writer; FULL syncs every commit, so a
    # confirmed write survives a power cut too (group commit keeps that affordable).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
    cursor.close()


_IDLE = math.inf


def _bound_sqlite_statements(engine: Engine, seconds: float) -> None:
    """Interrupt a statement still running after `seconds`, as statement_timeout does on
    PostgreSQL: SQLite calls the progress handler every few thousand steps of its program."""

    def started(conn: Any, *_args: Any) -> None:
        conn.info["started"][0] = time.monotonic()

    def idle(conn: Any, *_args: Any) -> None:
        conn.info["started"][0] = _IDLE

    def connected(dbapi_connection: Any, record: Any) -> None:
        since = record.info["started"] = [_IDLE]
        # Rows are stepped through after execute returns, so the clock runs until the
        # transaction ends rather than until execute returns.
        dbapi_connection.set_progress_handler(lambda: time.monotonic() - since[0] > seconds, 4000)

    event.listen(engine, "connect", connected)
    event.listen(engine, "before_cursor_execute", started)
    event.listen(engine, "commit", idle)
    event.listen(engine, "rollback", idle)
    event.listen(engine, "checkin", lambda _dbapi, record: idle(record))


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: committed if the block succeeds, rolled back if not."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def on_conflict_insert(session: Session) -> Callable[..., Any]:
    """The session's dialect's INSERT, the one with ON CONFLICT (PostgreSQL and SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert


def ping(engine: Engine) -> bool:
    """Whether the database answers a trivial query; on SQLite, whether it takes writes."""
    try:
        with engine.connect() as connection:
            if connection.dialect.name != "sqlite":
                connection.execute(text("SELECT 1"))
                return True
            # Reads go on while another process holds the file's write lock, but every
            # command writes: that lock is SQLite's outage.
            busy_ms = connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one()
            connection.exec_driver_sql(f"PRAGMA busy_timeout = {_PING_BUSY_MS}")
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                connection.exec_driver_sql("ROLLBACK")
            finally:
                connection.exec_driver_sql(f"PRAGMA busy_timeout = {busy_ms}")
    except Exception:
        return False
    return True


async def answers(engine: Engine, *, within: float) -> bool:
    """Whether the database answers a trivial query within `within` seconds.

    A frozen database leaves the ping's thread waiting; the answer does not wait with it.
    """
    try:
        return await asyncio.wait_for(asyncio.to_thread(ping, engine), within)
    except TimeoutError:
        return False


def include_object(
    obj: object, name: str | None, kind: str, reflected: bool, other: object
) -> bool:
    """What autogenerate compares: not the full-text search objects the migration keeps."""
    return not (name or "").startswith("intel_fts") and name != "ix_intel_post_fts"


def alembic_config() -> Config:
    """Alembic configured from inside the installed package, wherever we run from."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema up to date; concurrent starters on PostgreSQL take turns."""
    with engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK})
            connection.commit()
        try:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            connection.commit()
        finally:
            if postgres:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK})
                connection.commit()


class Database:
    """The engine plus the group-commit writer; what request handlers talk to.

    With a `deadline`, no read or write waits longer than that many seconds for the
    database: it raises Unanswered (an SQLAlchemyError, so listeners apologise) instead.
    """

    def __init__(
        self, engine: Engine, *, timeout: float | None = None, deadline: float | None = None
    ) -> None:
        from storage.writer import Writer

        self.engine = engine
        self.deadline = deadline
        url = engine.url.render_as_string(hide_password=False)
        self.writer = Writer(make_engine(url, pre_ping=False, timeout=timeout))

    @classmethod
    def for_requests(cls, url: str) -> Database:
        """The database as the web process uses it: every statement and every wait bounded."""
        engine = make_engine(url, timeout=REQUEST_TIMEOUT)
        return cls(engine, timeout=REQUEST_TIMEOUT, deadline=REQUEST_DEADLINE)

    async def write(self, work: Callable[..., T], /, **kwargs: Any) -> T:
        """Run `work(session=…, **kwargs)` in a transaction; return after it committed."""
        return await self.writer.run(
            lambda session: work(session=session, **kwargs), within=self.deadline
        )

    async def write_many(
        self, many: Callable[[Session, Sequence[Any]], Sequence[T]], item: Any
    ) -> T:
        """Queue `item` for `many(session, items)`, batched with others; its result."""
        result: T = await self.writer.run_many(many, item, within=self.deadline)
        return result

    async def read(self, work: Callable[..., T], /, **kwargs: Any) -> T:
        """Run `work(session=…, **kwargs)` on a worker thread, off the event loop."""
        from storage.writer import Unanswered

        def run() -> T:
            with Session(self.engine) as session:
                return work(session=session, **kwargs)

        if self.deadline is None:
            return await asyncio.to_thread(run)
        try:
            return await asyncio.wait_for(asyncio.to_thread(run), self.deadline)
        except TimeoutError:
            raise Unanswered(f"the database did not answer within {self.deadline:g} s") from None

    def close(self) -> None:
        self.writer.close()
        self.engine.dispose()
