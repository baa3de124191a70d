"""Working hours and SLA deadlines (core/hours.py), as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.hours import deadline, parse_days, parse_hours, parse_sla, read_hours, short, worked
from core.meetings import RuleError

BERLIN_WEEK = parse_hours("mon-fri", "09:00-18:00", "Europe/Berlin")


def test_without_working_hours_the_sla_is_elapsed_time() -> None:
    """No working hours: the deadline is the start plus the SLA."""
    start = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
    assert deadline(start, timedelta(hours=4), None) == start + timedelta(hours=4)


def test_friday_evening_lead_is_due_on_monday() -> None:
    """Handed over Friday 17:00 Berlin with 4 h: one hour on Friday, three on Monday."""
    friday = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)  # 17:00 in Berlin
    due = deadline(friday, timedelta(hours=4), BERLIN_WEEK)
    assert due == datetime(2026, 11, 23, 11, 0, tzinfo=UTC)  # Monday 12:00 in Berlin
    saturday = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    assert worked(friday, saturday, BERLIN_WEEK) == timedelta(hours=1)


def test_a_lead_at_night_starts_counting_in_the_morning() -> None:
    """Handed over at 03:00 on a Tuesday: the SLA starts at 09:00."""
    night = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 03:00 in Berlin
    assert deadline(night, timedelta(minutes=90), BERLIN_WEEK) == datetime(
        2026, 11, 24, 9, 30, tzinfo=UTC
    )


def test_working_hours_keep_their_wall_clock_across_dst() -> None:
    """Berlin leaves summer time on 25 Oct 2026: 09:00 is 07:00Z before and 08:00Z after."""
    friday = datetime(2026, 10, 23, 15, 0, tzinfo=UTC)  # 17:00 CEST
    due = deadline(friday, timedelta(hours=2), BERLIN_WEEK)
    assert due == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)  # Monday 10:00 CET


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("mon-fri", {0, 1, 2, 3, 4}),
        ("sat-sun", {5, 6}),
        ("fri-mon", {4, 5, 6, 0}),
        ("mon,wed,fri", {0, 2, 4}),
        ("TUE", {1}),
    ],
)
def test_days(text: str, days: set[int]) -> None:
    """Day ranges, lists and wrapping ranges."""
    assert parse_days(text) == frozenset(days)


@pytest.mark.parametrize(
    ("days", "span", "zone"),
    [
        ("mon-fry", "09:00-18:00", "UTC"),
        ("mon-fri", "18:00-09:00", "UTC"),
        ("mon-fri", "9-18", "UTC"),
        ("mon-fri", "09:00-18:00", "Mars/Olympus"),
    ],
)
def test_bad_hours_say_what_is_wrong(days: str, span: str, zone: str) -> None:
    """Unknown days, a window that ends before it starts, a bad span or zone are refused."""
    with pytest.raises(RuleError):
        parse_hours(days, span, zone)


@pytest.mark.parametrize(("text", "minutes"), [("90m", 90), ("4h", 240), ("2d", 2880)])
def test_sla(text: str, minutes: int) -> None:
    assert parse_sla(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["0h", "4", "31d", "four hours", "-2h"])
def test_bad_sla(text: str) -> None:
    with pytest.raises(RuleError):
        parse_sla(text)


def test_hours_are_stored_and_read_back() -> None:
    """`str(hours)` is what the setup stores, and it reads back the same."""
    assert read_hours(str(BERLIN_WEEK)) == BERLIN_WEEK
    assert str(BERLIN_WEEK) == "mon-fri 09:00-18:00 Europe/Berlin"
    assert read_hours(None) is None


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(0, "0 min"), (23, "23 min"), (240, "4 h"), (270, "4 h 30 min"), (1440 * 2 + 180, "2 d 3 h")],
)
def test_short(minutes: int, text: str) -> None:
    assert short(timedelta(minutes=minutes)) == text


@given(
    start=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
    ),
    minutes=st.integers(min_value=1, max_value=30 * 24 * 60),
    first=st.integers(min_value=0, max_value=6),
    width=st.integers(min_value=0, max_value=6),
    opens=st.integers(min_value=0, max_value=22),
    zone=st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Kathmandu"]),
)
def test_the_deadline_leaves_exactly_the_sla_of_working_time(
    start: datetime, minutes: int, first: int, width: int, opens: int, zone: str
) -> None:
    """For any start and working hours, the SLA time worked until the deadline is the SLA."""
    days = frozenset((first + step) % 7 for step in range(width + 1))
    hours = parse_hours(
        ",".join(("mon", "tue", "wed", "thu", "fri", "sat", "sun")[d] for d in sorted(days)),
        f"{opens:02d}:00-{opens + 1:02d}:30",
        zone,
    )
    sla = timedelta(minutes=minutes)
    due = deadline(start, sla, hours)
    assert due > start
    assert worked(start, due, hours) == sla
    assert hours.start == time(opens)
