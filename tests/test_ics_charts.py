from __future__ import annotations

import io
import struct
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from matplotlib.image import imread

from scheduler.agenda_files import campaign_averages
from scheduler.charts import comparison_chart
from scheduler.ics import meeting_invite
from storage.leads import LeadStats, RatingSummary

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
START = datetime(2027, 3, 16, 14, 0, tzinfo=UTC)


def invite(**overrides: object) -> icalendar.Calendar:
    arguments: dict = {
        "uid": "cadence-7-20270316@tandem",
        "title": "Quarterly planning, Q2",
        "start": START,
        "duration": timedelta(hours=1),
        "zone": "America/New_York",
        "description": "Agenda: see the thread in #sales-marketing; bring numbers, please.",
        "stamp": datetime(2027, 3, 1, 9, 0, tzinfo=UTC),
    } | overrides
    return icalendar.Calendar.from_ical(meeting_invite(**arguments))


def test_invite_parses_back_to_the_same_meeting() -> None:
    """The .ics parses back to the same start instant, end, summary and description."""
    calendar = invite()
    [event] = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == START
    assert event.decoded("dtend") == START + timedelta(hours=1)
    assert str(event["summary"]) == "Quarterly planning, Q2"
    assert str(event["description"]).startswith("Agenda: see the thread in #sales-marketing;")
    assert str(event["uid"]) == "cadence-7-20270316@tandem"
    assert event.decoded("dtstamp") == datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def test_invite_is_a_published_calendar_in_the_meeting_zone() -> None:
    """The calendar says who made it, is published, and carries the zone's VTIMEZONE."""
    calendar = invite()
    assert str(calendar["prodid"]) == "-//Tandem//Tandem//EN"
    assert str(calendar["version"]) == "2.0"
    assert str(calendar["method"]) == "PUBLISH"
    [event] = calendar.walk("VEVENT")
    assert event["dtstart"].params["TZID"] == "America/New_York"
    assert event.decoded("dtstart").hour == 10
    assert [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]


def test_invite_url_is_optional() -> None:
    """A link is included only when given."""
    [without] = invite().walk("VEVENT")
    [with_url] = invite(url="https://example.slack.com/archives/C1/p1").walk("VEVENT")
    assert "url" not in without
    assert str(with_url["url"]) == "https://example.slack.com/archives/C1/p1"


def test_invite_refuses_a_naive_start() -> None:
    """A start without a zone is refused rather than guessed."""
    with pytest.raises(ValueError, match="no time zone"):
        invite(start=datetime(2027, 3, 16, 10, 0))


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG_SIGNATURE)
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_comparison_chart_is_an_800_by_450_png() -> None:
    """A comparison chart is a decodable 800x450 PNG."""
    data = comparison_chart(
        title="Average lead score by campaign",
        labels=["Q3 webinar", "Partner referral program", "Paid search"],
        current=[3.4, 2.1, 2.75],
        previous=[2.9, 2.6, 0.0],
    )
    assert png_size(data) == (800, 450)
    assert imread(io.BytesIO(data), format="png").shape[:2] == (450, 800)


def test_comparison_chart_with_many_labels_is_a_png() -> None:
    """Many long labels still make a chart of the same size."""
    labels = [f"Competitor number {n} with a long name" for n in range(14)]
    labels.append("Supercalifragilisticexpialidocious-campaign")
    data = comparison_chart(
        title="Losses by competitor",
        labels=labels,
        current=list(range(15)),
        previous=[48_000.0] * 15,
        current_label="March",
        previous_label="February",
    )
    assert png_size(data) == (800, 450)


def test_comparison_chart_without_labels_says_no_data() -> None:
    """An empty chart is still a PNG (it reads "No data")."""
    data = comparison_chart(title="Intel by kind", labels=[], current=[], previous=[])
    assert png_size(data) == (800, 450)


def test_comparison_chart_refuses_mismatched_series() -> None:
    """Labels and both series must be the same length."""
    with pytest.raises(ValueError, match="2 labels, 1 current and 2 previous"):
        comparison_chart(title="t", labels=["a", "b"], current=[1.0], previous=[1.0, 2.0])


def test_a_campaign_without_ratings_has_no_average_not_zero() -> None:
    """The quarter a campaign had no ratings, its chart value is None ("no data"), not 0."""
    webinar = RatingSummary(label="Q1 webinar", count=4, average=3.75, unmet=())
    leads = LeadStats(overall=webinar, campaigns=(webinar,))
    assert campaign_averages(leads, ["q1 WEBINAR", "Hotel summit"]) == [3.75, None]


def test_comparison_chart_says_no_data_where_a_value_is_missing() -> None:
    """A missing value draws no bar (and no "0"): the chart differs from one with a 0."""
    chart = {
        missing: comparison_chart(
            title="Average lead score by campaign",
            labels=["Q1 webinar", "Hotel summit"],
            current=[3.75, 4.0],
            previous=[missing, 3.5],
        )
        for missing in (None, 0.0)
    }
    assert png_size(chart[None]) == (800, 450)
    assert chart[None] != chart[0.0]
