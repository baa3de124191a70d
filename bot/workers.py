"""Keeps web worker processes running: forked from this one, replaced when one dies.

Workers are forked from a parent that has already imported the app, so a replacement
serves within milliseconds; a fresh interpreter (uvicorn's own supervisor spawns one)
needs seconds just to import. The parent holds the listening socket, so while one worker
is gone the others, and the kernel's backlog, keep taking connections.

A worker that dies is logged with how it died and replaced at once. Workers that keep
dying soon after they start (a crash at start, memory that runs out at once) are
replaced ever more slowly, up to `MAX_DELAY`, and the log says so, instead of forking in
a loop. SIGTERM or SIGINT stops every worker gracefully and then the parent, exit 0. Should
the parent itself be killed outright, Linux sends each worker SIGTERM, so that no orphan
keeps the port from the next start.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess

log = logging.getLogger("tandem.workers")

# A worker that lived this long was healthy: its death does not count towards a backoff.
STEADY = 10.0
MAX_DELAY = 30.0
# How long stopping workers may take to finish their requests before they are killed.
GRACE = 20.0
_PR_SET_PDEATHSIG = 1


@dataclass
class Backoff:
    """How long to wait before replacing a worker, from how soon workers have been dying.

    The first death after a steady spell is replaced at once; each further death of a
    worker younger than `STEADY` doubles the wait, from 1 s up to `MAX_DELAY`.
    """

    early_deaths: int = 0

    def after_death(self, *, lived: float) -> float:
        if lived >= STEADY:
            self.early_deaths = 0
        self.early_deaths += 1
        if self.early_deaths <= 1:
            return 0.0
        return float(min(2 ** (self.early_deaths - 2), MAX_DELAY))


@dataclass
class _Slot:
    process: BaseProcess | None = None
    started: float = 0.0
    start_at: float = 0.0  # when to start the next worker here, while `process` is None


@dataclass
class Workers:
    """`count` processes each running `serve()`, kept at that number until told to stop."""

    serve: Callable[[], None]
    count: int
    backoff: Backoff = field(default_factory=Backoff)
    _stopping: int | None = field(default=None, init=False)
    _parent: int = field(default=0, init=False)

    def run(self) -> int:
        """Start the workers, replace those that die, and stop them all on SIGTERM or SIGINT."""
        wake_read, wake_write = os.pipe()
        os.set_blocking(wake_read, False)
        os.set_blocking(wake_write, False)
        previous_wakeup = signal.set_wakeup_fd(wake_write)
        handlers = {
            signum: signal.signal(signum, self._on_signal)
            for signum in (signal.SIGTERM, signal.SIGINT)
        }
        context = multiprocessing.get_context("fork")
        self._parent = os.getpid()
        slots = [_Slot() for _ in range(self.count)]
        try:
            while self._stopping is None:
                now = time.monotonic()
                for slot in slots:
                    if slot.process is None and slot.start_at <= now:
                        child = (wake_read, wake_write)
                        self._start(slot, context.Process(target=self._child, args=child))
                waiting = [s.start_at - now for s in slots if s.process is None]
                timeout = max(0.0, min(waiting)) if waiting else None
                live = {s.process.sentinel: s for s in slots if s.process is not None}
                ready = wait([*live, wake_read], timeout)
                _drain(wake_read)
                for sentinel in ready:
                    if sentinel in live:
                        self._replace(live[sentinel])
        finally:
            signal.set_wakeup_fd(previous_wakeup)
            for signum, handler in handlers.items():
                signal.signal(signum, handler)
            os.close(wake_read)
            os.close(wake_write)
            _stop([s.process for s in slots if s.process is not None], self._stopping)
        return 0

    def _start(self, slot: _Slot, process: BaseProcess) -> None:
        try:
            process.start()
        except OSError as error:  # no memory or process slots left to fork
            delay = self.backoff.after_death(lived=0) or 1.0
            slot.start_at = time.monotonic() + delay
            log.error("could not start a web worker (%s): trying again in %.0f s", error, delay)
            return
        slot.process, slot.started = process, time.monotonic()
        log.info("web worker %s started", process.pid)

    def _on_signal(self, signum: int, _frame: object) -> None:
        self._stopping = signum

    def _replace(self, slot: _Slot) -> None:
        process = slot.process
        assert process is not None
        process.join()
        lived = time.monotonic() - slot.started
        slot.process = None
        if self._stopping is not None:
            return
        delay = self.backoff.after_death(lived=lived)
        slot.start_at = time.monotonic() + delay
        if delay:
            log.error(
                "web worker %s %s after %.1f s; workers keep dying soon after they start "
                "(%d in a row): waiting %.0f s before starting another",
                process.pid,
                _how(process.exitcode),
                lived,
                self.backoff.early_deaths,
                delay,
            )
        else:
            log.error(
                "web worker %s %s after %.1f s; starting another",
                process.pid,
                _how(process.exitcode),
                lived,
            )

    def _child(self, wake_read: int, wake_write: int) -> None:
        # The parent's signal plumbing is not the worker's: uvicorn installs its own handlers.
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.close(wake_read)
        os.close(wake_write)
        _die_with(self._parent)
        self.serve()


def _die_with(parent: int) -> None:
    """Have the kernel send this worker SIGTERM when `parent` dies (Linux; elsewhere an
    orphan serves on until stopped)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


def _how(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        return f"was killed by {signal.Signals(-exitcode).name}"
    return f"exited with code {exitcode}"


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 512):
            pass
    except BlockingIOError:
        pass


def _stop(processes: list[BaseProcess], signum: int | None) -> None:
    """Ask every worker to finish its requests and stop; kill those still there after GRACE."""
    log.info("stopping %d web worker(s) on %s", len(processes), _name(signum))
    for process in processes:
        if process.pid is not None and process.exitcode is None:
            os.kill(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.exitcode is None:
            log.error("web worker %s did not stop within %.0f s: killing it", process.pid, GRACE)
            process.kill()
            process.join()


def _name(signum: int | None) -> str:
    return signal.Signals(signum).name if signum is not None else "request"
