"""Group commit: writes from many requests share one transaction and one fsync.

Every write runs on one thread (SQLite wants a single writer anyway). Whatever has
queued while the previous batch committed goes into the next batch, so under load a
request waits for one commit, not for everyone else's; when idle a batch is one job.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Job:
    work: Callable[[Session], Any]
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop


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

    def __init__(self, engine: Engine, *, max_batch: int = 256) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name="tandem-writer", daemon=True)
        self._thread.start()

    async def run(self, work: Callable[[Session], T]) -> T:
        """Run `work(session)` in a transaction; return once that transaction committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Job(work, future, loop))
        return await future

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _serve(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self._max_batch:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    self._queue.put(None)
                    break
                batch.append(job)
            self._commit(batch)

    def _commit(self, batch: list[_Job]) -> None:
        results: list[Any] = []
        try:
            with Session(self._engine, expire_on_commit=False) as session:
                for job in batch:
                    results.append(job.work(session))
                session.commit()
        except BaseException as error:
            if len(batch) == 1:
                _settle(batch[0], error=error)
                return
            # One bad job must not sink its neighbours: redo each on its own.
            for job in batch:
                self._alone(job)
            return
        for job, result in zip(batch, results, strict=True):
            _settle(job, result=result)

    def _alone(self, job: _Job) -> None:
        try:
            with Session(self._engine, expire_on_commit=False) as session:
                result = job.work(session)
                session.commit()
        except BaseException as error:
            _settle(job, error=error)
        else:
            _settle(job, result=result)
