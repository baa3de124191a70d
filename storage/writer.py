"""Group commit: writes from many requests share one transaction and one fsync.

Every write runs on one thread (SQLite wants a single writer anyway). Whatever has
queued while the previous batch committed goes into the next batch, so under load a
request waits for one commit, not for everyone else's; when idle a batch is one job.
Jobs of the same `many` function are handed over together, so a burst of ratings is
one multi-row statement rather than one statement each.

A request waits for its write while Slack waits for the answer (3 s): on SQLite, a batch
waits for the file's lock (another process writing) only for what is left of `LOCK_WAIT`
since its oldest job queued, then fails, and every job in it gets the apology at once.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout
from sqlmodel import Session

T = TypeVar("T")
Item = TypeVar("Item")
Many = Callable[[Session, Sequence[Any]], Sequence[Any]]
# Seconds a write may wait for SQLite's lock, counted from when it queued: Slack waits 3.
LOCK_WAIT = 1.5
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6


class Unanswered(SQLAlchemyTimeout):
    """The database did not answer in time; a write that says so was not committed."""


class _Withdrawn(Exception):
    """A job of the batch was given up on while the batch ran: commit none of it."""


@dataclass
class _Job:
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop
    work: Callable[[Session], Any] | None = None
    many: Many | None = None
    item: Any = None
    queued: float = field(default_factory=time.monotonic)
    # Under the writer's lock: a job is withdrawn (its request told nothing was saved) or
    # sealed (its batch is committing), never both.
    sealed: bool = False
    withdrawn: bool = False


def _unavailable(error: BaseException) -> bool:
    """Whether `error` says the database cannot be used now (down, cut off, locked), rather
    than that one job was wrong. SQLite reports a missing table as an OperationalError too."""
    if not isinstance(error, OperationalError):
        return False
    code = getattr(error.orig, "sqlite_errorcode", None)
    return code is None or code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)


def _settle(job: _Job, *, result: Any = None, error: BaseException | None = None) -> None:
    def apply() -> None:
        if job.future.done():
            return
        if error is not None:
            job.future.set_exception(error)
        else:
            job.future.set_result(result)

    job.loop.call_soon_threadsafe(apply)


class Writer:
    """Runs write jobs on one thread, committing each batch of queued jobs together."""

    def __init__(self, engine: Engine, *, max_batch: int = 500) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, name="tandem-writer", daemon=True)
        self._thread.start()

    async def run(self, work: Callable[[Session], T], *, within: float | None = None) -> T:
        """Run `work(session)` in a transaction; return once that transaction committed.

        With `within`, a job not committing after that many seconds (the database hangs) is
        withdrawn and Unanswered raised: if its batch runs on later, it is rolled back. Only
        a job whose COMMIT is under way is waited for, since only its outcome says.
        """
        loop = asyncio.get_running_loop()
        job = _Job(loop.create_future(), loop, work=work)
        self._queue.put(job)
        result: T = await self._outcome(job, within)
        return result

    async def run_many(self, many: Many, item: object, *, within: float | None = None) -> Any:
        """Hand `item` to `many(session, items)` with whatever else queued; its result for it."""
        loop = asyncio.get_running_loop()
        job = _Job(loop.create_future(), loop, many=many, item=item)
        self._queue.put(job)
        return await self._outcome(job, within)

    async def _outcome(self, job: _Job, within: float | None) -> Any:
        if within is None:
            return await job.future
        timer = job.loop.call_later(within, self._expire, job, within)
        try:
            return await job.future
        finally:
            timer.cancel()

    def _expire(self, job: _Job, within: float) -> None:
        with self._lock:
            job.withdrawn = not job.sealed
        if job.withdrawn and not job.future.done():
            job.future.set_exception(Unanswered(f"the database did not answer within {within:g} s"))

    def _seal(self, batch: list[_Job]) -> None:
        """Let the batch commit, unless a job of it was withdrawn meanwhile."""
        with self._lock:
            if any(job.withdrawn for job in batch):
                raise _Withdrawn
            for job in batch:
                job.sealed = True

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)
        self._engine.dispose()

    def _serve(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [] if first.withdrawn else [first]
            while len(batch) < self._max_batch:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    self._queue.put(None)
                    break
                if not job.withdrawn:
                    batch.append(job)
            if batch:
                self._commit(batch)

    def _commit(self, batch: list[_Job]) -> None:
        try:
            results = self._transaction(batch)
        except BaseException as error:
            # The database is away or locked: each job on its own would only wait again.
            if len(batch) == 1 or _unavailable(error):
                for job in batch:
                    _settle(job, error=error)
                return
            # One bad job must not sink its neighbours: redo each on its own.
            for job in batch:
                if job.withdrawn:
                    continue
                try:
                    (result,) = self._transaction([job])
                except BaseException as own_error:
                    _settle(job, error=own_error)
                else:
                    _settle(job, result=result)
            return
        for job, result in zip(batch, results, strict=True):
            _settle(job, result=result)

    def _transaction(self, batch: list[_Job]) -> list[Any]:
        try:
            return self._attempt(batch)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            # The database dropped the connection (restart, failover): nothing of this
            # batch was committed, so run it once more on a fresh connection.
            return self._attempt(batch)

    def _attempt(self, batch: list[_Job]) -> list[Any]:
        results: dict[int, Any] = {}
        groups: dict[Many, list[int]] = {}
        with Session(self._engine, expire_on_commit=False) as session:
            if self._engine.dialect.name == "sqlite":
                waited = time.monotonic() - min(job.queued for job in batch)
                wait_ms = max(10, int((LOCK_WAIT - waited) * 1000))
                session.connection().exec_driver_sql(f"PRAGMA busy_timeout = {wait_ms}")
            for index, job in enumerate(batch):
                if job.work is not None:
                    results[index] = job.work(session)
                else:
                    assert job.many is not None
                    groups.setdefault(job.many, []).append(index)
            for many, indexes in groups.items():
                outcomes = many(session, [batch[i].item for i in indexes])
                results.update(zip(indexes, outcomes, strict=True))
            self._seal(batch)
            session.commit()
        return [results[i] for i in range(len(batch))]
