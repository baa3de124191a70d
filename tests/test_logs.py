"""Failures are logged once per kind and interval: an outage leaves a log one can read."""

from __future__ import annotations

import logging

from bot.logs import OncePerKind


class Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_one_failure_of_a_kind_per_interval() -> None:
    """The first failure has its traceback, the rest of the interval is left out and counted,
    and each kind (place and exception type) and every plain line keep their own way."""
    now = [0.0]
    recorder = Recorder()
    recorder.addFilter(OncePerKind(interval=10, clock=lambda: now[0]))
    logger = logging.getLogger("tests.logs")
    logger.propagate = False
    logger.addHandler(recorder)
    try:
        for second in range(25):
            now[0] = float(second)
            try:
                raise ConnectionError(f"refused {second}\nsecond line")
            except ConnectionError:
                logger.exception("could not store a rating")
            logger.error("a plain line %d", second)
        try:
            raise KeyError("other")
        except KeyError:
            logger.exception("could not store a rating")
    finally:
        logger.removeHandler(recorder)
    failures = [line for line in recorder.lines if line.startswith("could not store")]
    assert len(failures) == 4
    assert "Traceback" in failures[0] and "refused 0" in failures[0]
    assert failures[1] == (
        "could not store a rating: ConnectionError: refused 10 (9 more like this left out)"
    )
    assert failures[2].startswith("could not store a rating: ConnectionError: refused 20 (9 ")
    assert "Traceback" in failures[3] and "KeyError" in failures[3]
    assert len([line for line in recorder.lines if line.startswith("a plain line")]) == 25
