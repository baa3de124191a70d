from __future__ import annotations

import calendar
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta
from dateutil.rrule import weekday
from hypothesis import given
from hypothesis import strategies as st

from core.meetings import (
    MONTHLY,
    QUARTERLY,
    DayRule,
    RuleError,
    Schedule,
    occurrences,
    occurrences_between,
    parse_day_rule,
    parse_lead_time,
    parse_months,
    parse_time,
    parse_zone,
    previous_occurrence,
)


def schedule(rule: str, at: str, zone: str, months: tuple[int, ...] = MONTHLY) -> Schedule:
    return Schedule(
        rule=parse_day_rule(rule), at=parse_time(at), zone=parse_zone(zone).key, months=months
    )


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_second_tuesday_before_dst_starts_in_new_york() -> None:
    """The second Tuesday of March 2027 at 10:00 New York is 15:00Z, still on EST."""
    found = occurrences(
        schedule("second-tue", "10:00", "America/New_York"), after=utc(2027, 3, 1), count=1
    )
    assert found == [utc(2027, 3, 9, 15)]


def test_third_tuesday_after_dst_starts_in_new_york() -> None:
    """The third Tuesday of March 2027 at 10:00 New York is 14:00Z, on EDT."""
    found = occurrences(
        schedule("third-tue", "10:00", "America/New_York"), after=utc(2027, 3, 1), count=1
    )
    assert found == [utc(2027, 3, 16, 14)]


def test_last_friday() -> None:
    """last-fri is the final Friday of each month."""
    found = occurrences(schedule("last-fri", "16:00", "UTC"), after=utc(2027, 1, 1), count=3)
    assert found == [utc(2027, 1, 29, 16), utc(2027, 2, 26, 16), utc(2027, 3, 26, 16)]


def test_day_31_falls_on_the_last_day_of_shorter_months() -> None:
    """day-31 is the 28th of February, the 29th in a leap year, and the 30th of April."""
    rule = schedule("day-31", "09:00", "UTC")
    assert occurrences(rule, after=utc(2027, 1, 31, 9), count=3) == [
        utc(2027, 2, 28, 9),
        utc(2027, 3, 31, 9),
        utc(2027, 4, 30, 9),
    ]
    assert occurrences(rule, after=utc(2028, 2, 1), count=1) == [utc(2028, 2, 29, 9)]


def test_quarterly_default_months() -> None:
    """A quarterly meeting is held in January, April, July and October."""
    found = occurrences(
        schedule("second-mon", "09:00", "Europe/Berlin", QUARTERLY), after=utc(2027, 1, 1), count=4
    )
    assert [t.date() for t in found] == [
        date(2027, 1, 11),
        date(2027, 4, 12),
        date(2027, 7, 12),
        date(2027, 10, 11),
    ]


def test_fiscal_months() -> None:
    """months:2,5,8,11 moves the meeting to those months."""
    rule = schedule("first-wed", "12:00", "UTC", parse_months("2,5,8,11"))
    found = occurrences_between(rule, start=utc(2027, 1, 1), end=utc(2028, 1, 1))
    assert found == [
        utc(2027, 2, 3, 12),
        utc(2027, 5, 5, 12),
        utc(2027, 8, 4, 12),
        utc(2027, 11, 3, 12),
    ]


def test_berlin_autumn_change_keeps_local_time() -> None:
    """A Berlin meeting stays at 09:00 local when clocks go back on 31 October 2027."""
    rule = schedule("day-29", "09:00", "Europe/Berlin")
    assert occurrences(rule, after=utc(2027, 10, 1), count=2) == [
        utc(2027, 10, 29, 7),
        utc(2027, 11, 29, 8),
    ]


def test_after_may_be_in_any_zone() -> None:
    """An aware `after` in another zone means the same instant."""
    rule = schedule("day-1", "10:00", "America/New_York")
    after = datetime(2027, 1, 1, 16, 0, 1, tzinfo=ZoneInfo("Europe/Berlin"))
    assert occurrences(rule, after=after, count=1) == [utc(2027, 2, 1, 15)]


def test_naive_instants_are_refused() -> None:
    """A naive `after` is a programming error, not a time in some zone."""
    with pytest.raises(ValueError, match="no time zone"):
        occurrences(schedule("day-1", "10:00", "UTC"), after=datetime(2027, 1, 1), count=1)


def test_wall_time_in_dst_gap_uses_the_offset_before_the_change() -> None:
    """02:30 on New York's spring-forward day is 07:30Z (03:30 EDT), as with fold=0."""
    rule = schedule("second-sun", "02:30", "America/New_York", (3,))
    assert occurrences(rule, after=utc(2027, 1, 1), count=1) == [utc(2027, 3, 14, 7, 30)]


def test_repeated_wall_time_is_the_first_of_the_two() -> None:
    """02:30 on Berlin's autumn-change night is the first 02:30 (CEST, 00:30Z), as with fold=0."""
    rule = schedule("last-sun", "02:30", "Europe/Berlin", (10,))
    assert occurrences(rule, after=utc(2027, 1, 1), count=1) == [utc(2027, 10, 31, 0, 30)]


def test_previous_occurrence_across_a_year_boundary() -> None:
    """Early in January the previous quarterly meeting is last October's."""
    rule = schedule("first-tue", "10:00", "America/New_York", QUARTERLY)
    assert previous_occurrence(rule, before=utc(2027, 1, 4)) == utc(2026, 10, 6, 14)


def test_occurrences_between_excludes_start_and_includes_end() -> None:
    """occurrences_between is start < t <= end."""
    rule = schedule("day-15", "10:00", "UTC")
    found = occurrences_between(rule, start=utc(2027, 1, 15, 10), end=utc(2027, 3, 15, 10))
    assert found == [utc(2027, 2, 15, 10), utc(2027, 3, 15, 10)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("first-tue", DayRule(ordinal=1, weekday=1, day=None)),
        ("Fourth-SUN", DayRule(ordinal=4, weekday=6, day=None)),
        ("last-friday", DayRule(ordinal=-1, weekday=4, day=None)),
        ("second-thurs", DayRule(ordinal=2, weekday=3, day=None)),
        ("day-15", DayRule(ordinal=None, weekday=None, day=15)),
    ],
)
def test_parse_day_rule(text: str, expected: DayRule) -> None:
    """Day rules parse case-insensitively, and full weekday names are accepted."""
    assert parse_day_rule(text) == expected


@pytest.mark.parametrize("text", ["first-tue", "last-sun", "day-31", "third-wed"])
def test_day_rule_text_round_trips(text: str) -> None:
    """str() of a parsed day rule gives back its canonical text."""
    assert str(parse_day_rule(text)) == text


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [
        (parse_day_rule, "fifth-tue", "such as first-tue, or day-N"),
        (parse_day_rule, "first-tuz", "such as first-tue"),
        (parse_day_rule, "tuesday", "such as first-tue"),
        (parse_day_rule, "day-32", "N must be 1 to 31"),
        (parse_day_rule, "day-0", "N must be 1 to 31"),
        (parse_time, "25:00", "Use 24-hour HH:MM"),
        (parse_time, "9am", "such as 09:30"),
        (parse_time, "10:60", "such as 09:30"),
        (parse_zone, "Mars/Base", "Unknown time zone “Mars/Base”. Use an IANA name such as"),
        (parse_zone, "America", "Unknown time zone “America”"),
        (parse_zone, "localtime", "Unknown time zone"),
        (parse_lead_time, "2 days", "such as agenda:2d, agenda:6h or agenda:90m"),
        (parse_lead_time, "-1d", "such as agenda:2d"),
        (parse_lead_time, "29d", "the most is 28d"),
        (parse_lead_time, "99999999999999999999h", "the most is 28d"),
        (parse_months, "13", "Use month numbers 1 to 12"),
        (parse_months, "2,,5", "such as months:2,5,8,11"),
        (parse_months, "", "such as months:2,5,8,11"),
    ],
)
def test_bad_input_says_what_to_type(parse: object, text: str, message: str) -> None:
    """Each parser refuses bad input with a sentence that shows the right form."""
    with pytest.raises(RuleError, match=message) as caught:
        parse(text)  # type: ignore[operator]
    assert text in str(caught.value)


def test_parsers_accept_the_documented_forms() -> None:
    """Times, zones, lead times and months parse to typed values."""
    assert parse_time("9:00") == time(9, 0)
    assert parse_time("23:59") == time(23, 59)
    assert parse_zone("america/new_york").key == "America/New_York"
    assert parse_lead_time("2d") == timedelta(days=2)
    assert parse_lead_time("6H") == timedelta(hours=6)
    assert parse_lead_time("90m") == timedelta(minutes=90)
    assert parse_lead_time("0h") == timedelta(0)
    assert parse_lead_time("672h") == timedelta(days=28)
    assert parse_months("11, 2,5,8,5") == (2, 5, 8, 11)


ZONES = sorted(zoneinfo.available_timezones() - {"localtime", "posixrules", "Factory"})
day_rules = st.one_of(
    st.builds(
        DayRule,
        ordinal=st.sampled_from([1, 2, 3, 4, -1]),
        weekday=st.integers(0, 6),
        day=st.none(),
    ),
    st.builds(DayRule, ordinal=st.none(), weekday=st.none(), day=st.integers(1, 31)),
)
schedules = st.builds(
    Schedule,
    rule=day_rules,
    at=st.times(),
    zone=st.sampled_from(ZONES),
    months=st.sets(st.integers(1, 12), min_size=1).map(lambda ms: tuple(sorted(ms))),
)
instants = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


def on_rule_day(day: date, rule: DayRule) -> bool:
    if rule.day is not None:
        return day.day == min(rule.day, calendar.monthrange(day.year, day.month)[1])
    assert rule.ordinal is not None and rule.weekday is not None
    wanted = weekday(rule.weekday, rule.ordinal)
    anchor = day.replace(day=1) if rule.ordinal > 0 else day + relativedelta(day=31)
    return day == anchor + relativedelta(weekday=wanted)


def wall_date(instant: datetime, sched: Schedule) -> date:
    """The local date whose wall time `at` (fold=0) is `instant`."""
    tz = ZoneInfo(sched.zone)
    local = instant.astimezone(tz).date()
    candidates = [local + timedelta(days=n) for n in (0, -1, 1)]
    matches = [
        d for d in candidates if datetime.combine(d, sched.at, tzinfo=tz).astimezone(UTC) == instant
    ]
    assert matches, f"{instant} is not {sched.at} local on any nearby date"
    return matches[0]


@given(sched=schedules, after=instants)
def test_occurrences_are_ordered_on_rule_days_and_consistent(
    sched: Schedule, after: datetime
) -> None:
    """Occurrences increase, follow `after`, land on rule days, and agree with the other queries."""
    found = occurrences(sched, after=after, count=3)
    assert len(found) == 3
    assert after < found[0] < found[1] < found[2]
    for instant in found:
        assert instant.tzinfo is UTC
        day = wall_date(instant, sched)
        assert day.month in sched.months
        assert on_rule_day(day, sched.rule)
        assert previous_occurrence(sched, before=instant + timedelta(microseconds=1)) == instant
    assert previous_occurrence(sched, before=found[0]) <= after
    assert occurrences_between(sched, start=after, end=found[-1]) == found
