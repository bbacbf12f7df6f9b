"""The shared time-range rules: half-open overlap, end after start, inside the event's days, opening hours."""

from __future__ import annotations

import datetime as dt

import pytest

from asemplanner.timeranges import opening_hours_errors, overlaps, range_errors, within_days_errors
from tests.factories import SUMMIT_START, at

# The fixed range every overlap case is compared with: [09:00, 10:00) on the first summit day.
A_START, A_END = at(0, "09:00"), at(0, "10:00")


@pytest.mark.parametrize(
    ("b_start", "b_end", "expected"),
    [
        pytest.param("09:00", "10:00", True, id="exact"),
        pytest.param("08:00", "09:00", False, id="touching_before"),
        pytest.param("10:00", "11:00", False, id="touching_after"),
        pytest.param("09:15", "09:45", True, id="contained"),
        pytest.param("08:00", "11:00", True, id="containing"),
        pytest.param("09:00", "09:30", True, id="shared_start"),
        pytest.param("09:30", "10:00", True, id="shared_end"),
        pytest.param("08:30", "09:30", True, id="partial_before"),
        pytest.param("09:30", "10:30", True, id="partial_after"),
        pytest.param("07:00", "08:00", False, id="disjoint_before"),
        pytest.param("11:00", "12:00", False, id="disjoint_after"),
        pytest.param("09:59", "10:00", True, id="last_minute"),
    ],
)
def test_overlaps_truth_table(b_start, b_end, expected):
    b = (at(0, b_start), at(0, b_end))

    assert overlaps(A_START, A_END, *b) is expected
    # The relation is symmetric: which range is "a" must not matter.
    assert overlaps(*b, A_START, A_END) is expected


def test_overlaps_compares_instants_across_time_zones():
    # 02:00 UTC is 09:00 in Phnom Penh: the same instant, so a range starting there overlaps [09:00, 10:00).
    utc_start = A_START.astimezone(dt.UTC)
    assert overlaps(A_START, A_END, utc_start, utc_start + dt.timedelta(minutes=30)) is True
    assert overlaps(A_START, A_END, A_END.astimezone(dt.UTC), A_END.astimezone(dt.UTC) + dt.timedelta(hours=1)) is False


@pytest.mark.parametrize(
    ("start", "end"),
    [
        pytest.param(at(0, "10:00"), at(0, "09:00"), id="end_before_start"),
        pytest.param(at(0, "10:00"), at(0, "10:00"), id="zero_length"),
        pytest.param(at(1, "09:00"), at(0, "23:00"), id="end_on_earlier_day"),
    ],
)
def test_range_errors_datetime_end_not_after_start(start, end):
    errors = range_errors(start, end)

    assert set(errors) == {"end"}
    assert "not after its start" in errors["end"]
    assert "Enter an end later than the start" in errors["end"]


def test_range_errors_datetime_end_after_start_is_valid():
    assert range_errors(at(0, "09:00"), at(0, "09:01")) == {}


@pytest.mark.parametrize(
    ("start", "end"),
    [
        pytest.param(None, at(0, "09:00"), id="no_start"),
        pytest.param(at(0, "09:00"), None, id="no_end"),
        pytest.param(None, None, id="neither"),
    ],
)
def test_range_errors_missing_bound_is_left_to_required_checks(start, end):
    assert range_errors(start, end) == {}


def test_range_errors_dates_end_before_start_uses_given_field_names():
    errors = range_errors(
        SUMMIT_START, SUMMIT_START - dt.timedelta(days=1), start_field="start_date", end_field="end_date"
    )

    assert set(errors) == {"end_date"}
    assert "Ends on 15 Nov 2020, before its start (16 Nov 2020)" in errors["end_date"]


def test_range_errors_dates_single_day_is_valid():
    # Dates are inclusive: an event that starts and ends on the same day lasts one day.
    assert range_errors(SUMMIT_START, SUMMIT_START) == {}


def test_range_errors_message_shows_local_times():
    errors = range_errors(at(0, "10:00").astimezone(dt.UTC), at(0, "09:00").astimezone(dt.UTC))

    assert "Ends at 16 Nov 2020 09:00" in errors["end"]
    assert "(16 Nov 2020 10:00)" in errors["end"]


# The summit's days: 16 and 17 Nov 2020, i.e. the instants [16 Nov 00:00, 18 Nov 00:00) in Phnom Penh.
FIRST, LAST = SUMMIT_START, SUMMIT_START + dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("start", "end", "fields"),
    [
        pytest.param(at(0, "09:00"), at(0, "10:00"), set(), id="inside"),
        pytest.param(at(0, "00:00"), at(0, "01:00"), set(), id="starts_at_first_midnight"),
        pytest.param(at(1, "23:00"), at(2, "00:00"), set(), id="ends_at_last_midnight"),
        pytest.param(at(0, "00:00"), at(2, "00:00"), set(), id="exactly_the_whole_event"),
        pytest.param(at(-1, "09:00"), at(-1, "10:00"), {"start", "end"}, id="day_before"),
        pytest.param(at(2, "09:00"), at(2, "10:00"), {"start", "end"}, id="day_after"),
        pytest.param(at(-1, "23:00"), at(0, "01:00"), {"start"}, id="partial_before"),
        pytest.param(at(1, "23:00"), at(2, "01:00"), {"end"}, id="partial_after"),
        pytest.param(at(-1, "23:00"), at(0, "00:00"), {"start", "end"}, id="touching_before"),
        pytest.param(at(2, "00:00"), at(2, "01:00"), {"start", "end"}, id="touching_after"),
    ],
)
def test_within_days_errors_edges(start, end, fields):
    errors = within_days_errors(start, end, first=FIRST, last=LAST, what="ASEM13")

    assert set(errors) == fields
    for message in errors.values():
        assert "outside the dates of ASEM13 runs 16 Nov 2020 to 17 Nov 2020" in message


def test_within_days_errors_uses_given_field_names():
    errors = within_days_errors(
        at(3, "09:00"), at(3, "10:00"), first=FIRST, last=LAST, what="ASEM13", start_field="arrival", end_field="leave"
    )

    assert set(errors) == {"arrival", "leave"}
    assert errors["arrival"].startswith("Starts at 19 Nov 2020 09:00")


def test_within_days_errors_utc_instant_before_local_midnight_is_outside():
    # 15 Nov 17:30 UTC is 16 Nov 00:30 in Phnom Penh (UTC+7): inside the first day.
    utc_start = dt.datetime(2020, 11, 15, 17, 30, tzinfo=dt.UTC)
    assert within_days_errors(utc_start, utc_start + dt.timedelta(hours=1), first=FIRST, last=LAST, what="X") == {}
    # 15 Nov 16:30 UTC is 15 Nov 23:30 local: the day before the summit.
    early = dt.datetime(2020, 11, 15, 16, 30, tzinfo=dt.UTC)
    assert set(within_days_errors(early, early + dt.timedelta(hours=2), first=FIRST, last=LAST, what="X")) == {"start"}


def test_within_days_errors_missing_bound_is_ignored():
    assert within_days_errors(None, at(9, "10:00"), first=FIRST, last=LAST, what="X") == {}


OPENS, CLOSES = dt.time(8, 0), dt.time(18, 0)


@pytest.mark.parametrize(
    ("start", "end", "fields"),
    [
        pytest.param(at(0, "09:00"), at(0, "10:00"), set(), id="inside"),
        pytest.param(at(0, "08:00"), at(0, "09:00"), set(), id="starts_at_opening"),
        pytest.param(at(0, "17:00"), at(0, "18:00"), set(), id="ends_at_closing"),
        pytest.param(at(0, "08:00"), at(0, "18:00"), set(), id="exactly_opening_hours"),
        pytest.param(at(0, "07:30"), at(0, "09:00"), {"start"}, id="starts_before_opening"),
        pytest.param(at(0, "17:30"), at(0, "18:01"), {"end"}, id="ends_after_closing"),
        pytest.param(at(0, "18:00"), at(0, "18:30"), {"start", "end"}, id="starts_at_closing"),
        pytest.param(at(0, "06:00"), at(0, "07:00"), {"start"}, id="before_opening"),
        pytest.param(at(0, "07:00"), at(0, "19:00"), {"start", "end"}, id="containing_opening_hours"),
        pytest.param(at(0, "17:00"), at(1, "09:00"), {"end"}, id="overnight"),
    ],
)
def test_opening_hours_errors_edges(start, end, fields):
    errors = opening_hours_errors(start, end, opens_at=OPENS, closes_at=CLOSES, what="Peace Palace · Hall A")

    assert set(errors) == fields
    for message in errors.values():
        assert "Peace Palace · Hall A is open 08:00–18:00" in message


def test_opening_hours_errors_session_crossing_midnight_is_refused():
    errors = opening_hours_errors(
        at(0, "22:30"), at(1, "00:30"), opens_at=dt.time(7, 0), closes_at=dt.time(23, 0), what="Hall"
    )

    assert set(errors) == {"end"}
    assert errors["end"] == "Ends at 17 Nov 2020 00:30, but Hall is open 07:00–23:00."


def test_opening_hours_errors_ending_at_midnight_counts_as_same_day():
    # Ending at 00:00 the next day stays on the start's day, but still past a 23:00 closing time.
    errors = opening_hours_errors(
        at(0, "22:00"), at(1, "00:00"), opens_at=dt.time(7, 0), closes_at=dt.time(23, 0), what="Hall"
    )

    assert set(errors) == {"end"}
    assert "Ends at 17 Nov 2020 00:00" in errors["end"]


def test_opening_hours_errors_compares_local_time_not_utc():
    # 09:00 local is 02:00 UTC: before opening in UTC terms, fine in local terms.
    start_utc = at(0, "09:00").astimezone(dt.UTC)
    assert (
        opening_hours_errors(start_utc, start_utc + dt.timedelta(hours=1), opens_at=OPENS, closes_at=CLOSES, what="H")
        == {}
    )


@pytest.mark.parametrize(
    ("opens_at", "closes_at"),
    [
        pytest.param(None, None, id="always_open"),
        pytest.param(OPENS, None, id="no_closing_time"),
        pytest.param(None, CLOSES, id="no_opening_time"),
    ],
)
def test_opening_hours_errors_without_hours_accepts_any_time(opens_at, closes_at):
    assert opening_hours_errors(at(0, "03:00"), at(0, "04:00"), opens_at=opens_at, closes_at=closes_at, what="H") == {}
