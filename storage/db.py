"""The engine, sessions and schema migration for SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlmodel import Session

T = TypeVar("T")
MIGRATIONS = Path(__file__).parent / "migrations"
# Any constant will do; it names the lock every starting process queues on.
_MIGRATION_LOCK = 7_212_031
# How long SQLite waits for another writer's lock: by default, and in a health check.
_BUSY_MS = 30_000
_PING_BUSY_MS = 500


def normalize_url(url: str) -> str:
    """Point bare `postgresql://` URLs at psycopg 3, the driver Tandem installs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, *, pre_ping: bool = True, **kwargs: Any) -> Engine:
    """An engine tuned for the database behind `url`.

    `pre_ping` checks each pooled connection before use: one round trip that the
    group-commit writer, which retries a batch on a dropped connection, can spare.
    """
    url = normalize_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        url,
        pool_pre_ping=pre_ping,
        pool_size=10,
        max_overflow=10,
        # Batched statements change with the batch's size, so psycopg's automatic prepared
        # statements only churn its cache: measured in bench/RESULTS.md (handoff webhook).
        connect_args={"connect_timeout": 5, "prepare_threshold": None},
        **kwargs,
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers work beside the one writer; FULL syncs every commit, so a
    # confirmed write survives a power cut too (group commit keeps that affordable).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={_BUSY_MS}")
    cursor.close()


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
            connection.exec_driver_sql(f"PRAGMA busy_timeout = {_PING_BUSY_MS}")
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                connection.exec_driver_sql("ROLLBACK")
            finally:
                connection.exec_driver_sql(f"PRAGMA busy_timeout = {_BUSY_MS}")
    except Exception:
        return False
    return True


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
    """The engine plus the group-commit writer; what request handlers talk to."""

    def __init__(self, engine: Engine) -> None:
        from storage.writer import Writer

        self.engine = engine
        url = engine.url.render_as_string(hide_password=False)
        self.writer = Writer(make_engine(url, pre_ping=False))

    async def write(self, work: Callable[..., T], /, **kwargs: Any) -> T:
        """Run `work(session=…, **kwargs)` in a transaction; return after it committed."""
        return await self.writer.run(lambda session: work(session=session, **kwargs))

    async def write_many(
        self, many: Callable[[Session, Sequence[Any]], Sequence[T]], item: Any
    ) -> T:
        """Queue `item` for `many(session, items)`, batched with others; its result."""
        result: T = await self.writer.run_many(many, item)
        return result

    async def read(self, work: Callable[..., T], /, **kwargs: Any) -> T:
        """Run `work(session=…, **kwargs)` on a worker thread, off the event loop."""

        def run() -> T:
            with Session(self.engine) as session:
                return work(session=session, **kwargs)

        return await asyncio.to_thread(run)

    def close(self) -> None:
        self.writer.close()
        self.engine.dispose()
