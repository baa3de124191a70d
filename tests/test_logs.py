"""An outage is logged as one line per kind of failure per interval, not a traceback a request."""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError, OperationalError

from core.logs import OncePerInterval
from tests.live import captured_logs
from tests.slack_client import SignedSlack


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _logger(name: str, only: OncePerInterval) -> tuple[logging.Logger, list[logging.LogRecord]]:
    logger = logging.getLogger(name)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.filters = [only]
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger.handlers = [Keep()]
    return logger, records


def _outage() -> OperationalError:
    return OperationalError("SELECT 1", {}, Exception("connection refused\nDETAIL: more"))


def test_one_line_per_kind_per_interval() -> None:
    """Repeats of a failure inside the interval are dropped; the next line counts them."""
    ticks = Ticks()
    logger, records = _logger("tandem.test.once", OncePerInterval(60, ticks))
    for _ in range(50):
        try:
            raise _outage()
        except OperationalError:
            logger.exception("could not store a lead rating")
    logger.error("a listener failed", exc_info=IntegrityError("INSERT", {}, Exception("dup")))
    logger.info("an ordinary line")
    logger.info("an ordinary line")
    ticks.now = 61
    try:
        raise _outage()
    except OperationalError:
        logger.exception("could not store a lead rating")

    messages = [record.getMessage() for record in records]
    assert messages[0].startswith("could not store a lead rating: OperationalError: ")
    assert messages[0].endswith("connection refused")  # its first line only
    assert records[0].exc_info is None  # an outage needs no traceback
    assert records[1].exc_info is not None  # a bug keeps its traceback
    assert messages[2:4] == ["an ordinary line", "an ordinary line"]
    assert messages[4].endswith("(49 more like it in the last 60 s not logged)")
    assert len(records) == 5


async def test_an_outage_is_a_few_lines(down: SignedSlack) -> None:
    """Forty requests failing on a dead database log a line per kind of failure, no traceback."""
    with captured_logs() as logs:
        for n in range(20):
            await down.command("/lead", f"ACME-{n} 4 fine lead")
            await down.command("/lead", "stats")
    assert logs.tracebacks == 0, logs.text
    # None at all when an earlier test of the session logged these kinds within the minute.
    assert len(logs.lines) <= 4, logs.text
