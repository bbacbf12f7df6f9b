"""The airport's list as CSV: a valid file applied, each row error with its row and column, the file-level
refusals (encoding, empty, oversized, no header) that apply nothing, and a stale preview refused."""

from __future__ import annotations

import codecs
import io
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError

from asemplanner.choices import Category, Rank
from asemplanner.models import AuditEntry
from delegations.domain import flight_import
from delegations.domain.flight_import import flights_import_apply, flights_import_preview
from delegations.domain.flights import flight_status_set
from delegations.domain.member_import.errors import ImportRefused, RowError
from delegations.models import Travel
from tests.factories import DelegationFactory, EventFactory, PartnerFactory, PersonFactory, TravelFactory, at

pytestmark = pytest.mark.django_db
HEADER = "flight,date,direction,status,time\n"


@pytest.fixture
def flights():
    """15 Nov: Sweden's two on SK971 (14:00) and Norway's one too; Thailand's on TG580 (09:00). All leave on
    18 Nov, the Swedes on SK972 (10:00)."""
    event = EventFactory(acronym="ASEM13")
    sweden = DelegationFactory(event=event, partner=PartnerFactory(code="SWE", name="Sweden"))
    norway = DelegationFactory(event=event, partner=PartnerFactory(code="NOR", name="Norway"))
    thailand = DelegationFactory(event=event, partner=PartnerFactory(code="THA", name="Thailand"))

    def traveller(delegation, name, flight, arrival, departure="SK972", **fields):
        person = PersonFactory(delegation=delegation, family_name=name, **fields)
        return TravelFactory(person=person, arrival_flight=flight, arrival_at=arrival, departure_flight=departure)

    king = traveller(
        sweden, "Bernadotte", "SK971", at(-1, "14:00"), rank=Rank.HEAD_OF_STATE, category=Category.PRINCIPAL
    )
    minister = traveller(sweden, "Lind", "SK 971", at(-1, "14:00"))
    norwegian = traveller(norway, "Solberg", "SK971", at(-1, "14:00"), departure="SK974")
    thai = traveller(thailand, "Chan", "TG580", at(-1, "09:00"), departure="TG581")
    return SimpleNamespace(king=king, minister=minister, norwegian=norwegian, thai=thai)


def fresh(travel: Travel) -> Travel:
    return Travel.objects.get(pk=travel.pk)


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    return (header + "".join(row + "\n" for row in rows)).encode()


def test_a_valid_list_is_applied_to_every_party_on_board(flights):
    data = csv_bytes("SK971,2020-11-15,arrival,delayed,16:10", "TG580,2020-11-15,arrival,landed,08:52")
    preview = flights_import_preview(file=data)
    assert preview.errors == [] and not preview.refused
    assert [(c.row, c.flight, c.status, len(c.travellers)) for c in preview.changes] == [
        (2, "SK971", "delayed", 3),
        (3, "TG580", "landed", 1),
    ]
    assert fresh(flights.king).arrival_status == "scheduled"  # a preview writes nothing

    result = flights_import_apply(file=data, by="test", expected=preview.digest)
    assert result.written == 4
    for travel in (flights.king, flights.minister, flights.norwegian):
        assert (fresh(travel).arrival_status, fresh(travel).arrival_at) == ("delayed", at(-1, "16:10"))
    assert (fresh(flights.thai).arrival_status, fresh(flights.thai).arrival_at) == ("landed", at(-1, "08:52"))
    assert AuditEntry.objects.filter(action="delegations.travel.flight_status").count() == 4
    assert result.summary() == "2 flight(s) changed (4 traveller(s)); 1 delayed, 1 landed."


def test_the_airports_usual_variants_are_read(flights):
    """Header case and aliases, semicolons, A/D, airport remarks, 4-digit and next-day times, a BOM."""
    data = codecs.BOM_UTF8 + (
        b"Flight No;DATE;Arr/Dep;Remarks;Actual\r\n"
        b"sk 971;2020-11-15;A;Estimated;00:20+1\r\n"
        b"tg580;15 Nov 2020;ARR;Arrived;0852\r\n"
        b";;;;\r\n"
        b"SK972;2020-11-18;D;on time;\r\n"
    )
    preview = flights_import_preview(file=data)
    assert preview.errors == []
    assert [(c.row, c.leg, c.status, c.at) for c in preview.rows] == [
        (2, "arrival", "delayed", at(0, "00:20")),
        (3, "arrival", "landed", at(-1, "08:52")),
        (5, "departure", "scheduled", None),
    ]
    assert [c.row for c in preview.unchanged] == [5]  # already on schedule: nothing to write


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        pytest.param("XX999,2020-11-15,arrival,landed,10:00", "flight",
                     "No arrival on XX999 on 15 Nov 2020 in the planner: no traveller's arrival is on that flight. "
                     "Check the flight number, or add the flight to the traveller's record first.",
                     id="unknown_flight"),
        pytest.param("SK971,2020-11-16,arrival,landed,10:00", "flight",
                     "No arrival on SK971 on 16 Nov 2020 in the planner: that flight arrives on 15 Nov 2020. Check "
                     "the date (the flight's scheduled day, Phnom Penh time) and the direction.",
                     id="flight_not_that_day"),
        pytest.param("SK971,2020-11-15,arrival,landed,25:10", "time",
                     "‘25:10’ is not a time: write HH:MM on the 24-hour clock (Phnom Penh time), e.g. 09:45, or "
                     "00:40+1 for the day after the row's date.", id="bad_time"),
        pytest.param("SK971,2020-11-15,arrival,landed,2:10 PM", "time",
                     "‘2:10 PM’: write times on the 24-hour clock, e.g. 21:45 (Phnom Penh time).", id="am_pm_time"),
        pytest.param("SK971,2020-11-15,arrival,boarding,10:00", "status",
                     "‘boarding’ is not a flight status: write scheduled (on time), delayed, landed, departed or at "
                     "hotel.", id="unknown_status"),
        pytest.param("SK971,2020-11-15,arrival,departed,10:00", "status",
                     "‘departed’ is not a status of an arrival: write on schedule, delayed, landed, at hotel.",
                     id="status_of_other_leg"),
        pytest.param("SK971,2020-11-15,arrival,cancelled,", "status",
                     "‘cancelled’: a cancelled or diverted flight is not marked from the list. Ask the delegation "
                     "for its new flight and change the travel record.", id="cancelled"),
        pytest.param("SK971,15/11/2020,arrival,landed,10:00", "date",
                     "‘15/11/2020’ is not a date this list reads. Write it as YYYY-MM-DD, e.g. 2020-11-15 (day/month "
                     "orders such as 15/11/2020 are not read: they differ between countries).", id="ambiguous_date"),
        pytest.param("SK971,2020-11-15,sideways,landed,10:00", "direction",
                     "‘sideways’ is not a direction: write arrival or departure (A or D).", id="bad_direction"),
        pytest.param("Air Force One,2020-11-15,arrival,landed,10:00", "flight",
                     "‘Air Force One’ is not a flight number: write it as on file, e.g. PG931 or VN 3120.",
                     id="bad_flight_number"),
        pytest.param("SK971,2020-11-15,arrival,delayed,", "time",
                     "A delayed flight needs its new time in this column, e.g. 09:45.", id="delayed_without_time"),
        pytest.param("SK971,2020-11-15,arrival,landed,", "time",
                     "A landed flight needs its actual time in this column, e.g. 09:45.", id="landed_without_time"),
        pytest.param("SK971,2020-11-15,arrival,at hotel,", "status",
                     "For Given Bernadotte (SWE): Only a landed arrival can be at the hotel; this one is on "
                     "schedule. Mark it landed first.", id="at_hotel_before_landing"),
        pytest.param("SK971,2020-11-15,arrival,delayed,2020-11-12 10:00", "time",
                     "For Given Bernadotte (SWE): Arrives 12 Nov 2020 10:00, outside the travel window of "
                     "ASEM13 and its side events: travel must fall between 13 Nov 2020 00:00 and 21 Nov 2020 00:00. "
                     "Check the date, and the time zone it was entered in.", id="outside_window"),
    ],
)  # fmt: skip
def test_each_row_error_names_its_row_and_column_and_the_valid_rows_still_apply(flights, row, column, message):
    data = csv_bytes("TG580,2020-11-15,arrival,landed,08:52", row)
    result = flights_import_apply(file=data, by="test")
    assert [e for e in result.errors if e.row == 3] == [RowError(3, column, message.replace("Given", _given(flights)))]
    assert fresh(flights.thai).arrival_status == "landed"  # row 2 applied all the same
    assert {fresh(t).arrival_status for t in (flights.king, flights.minister, flights.norwegian)} == {"scheduled"}


def _given(flights) -> str:
    return flights.king.person.given_name


def test_a_flight_on_file_at_two_times_is_a_row_error(flights):
    norwegian = fresh(flights.norwegian)
    norwegian.arrival_at = at(-1, "15:00")
    norwegian.save()
    preview = flights_import_preview(file=csv_bytes("SK971,2020-11-15,arrival,landed,14:05"))
    assert preview.errors == [
        RowError(
            2,
            "flight",
            "SK971 on 15 Nov 2020 is on file at 2 different times (14:00 for 2, 15:00 for 1 traveller(s)), so the row "
            "cannot say which it means. Correct the travel records, or mark each party on the flights page.",
        )
    ]
    assert preview.rows == []


def test_a_flight_listed_twice_differently_is_a_row_error(flights):
    data = csv_bytes("SK971,2020-11-15,arrival,delayed,16:00", "SK971,2020-11-15,A,landed,15:55")
    preview = flights_import_preview(file=data)
    assert preview.errors == [
        RowError(
            3,
            "flight",
            "Row 2 already gives SK971 (arrival) on 15 Nov 2020, with another status or time. Keep one row per flight "
            "and direction.",
        )
    ]


def test_the_column_is_named_as_the_files_header_writes_it(flights):
    preview = flights_import_preview(
        file=csv_bytes("SK971,2020-11-15,arrival,landed,9pm", header="Flight,Date,Dir,Status,Actual\n")
    )
    assert [(e.row, e.column) for e in preview.errors] == [(2, "Actual")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(b"", "The file is empty. Upload the airport's list: a header row (flight, date, direction, "
                     "status, time) and one flight per row.", id="empty"),
        pytest.param("flight,date,direction,status,time\nSK971,2020-11-15,arrival,delayed,16:00,Göteborg\n"
                     .encode("cp1252"),
                     "The file is not UTF-8 text (byte 0xF6 on line 2). Save it as ‘CSV UTF-8’ (in Excel: File → "
                     "Save As → CSV UTF-8) and upload it again.", id="not_utf8"),
        pytest.param("flight,date,direction\n".encode("utf-16"),
                     "The file is not UTF-8 text (byte 0xFF on line 1). Save it as ‘CSV UTF-8’ (in Excel: File → "
                     "Save As → CSV UTF-8) and upload it again.", id="utf16"),
        pytest.param(b"SK971,2020-11-15,arrival,delayed,16:00\n",
                     "Row 1 must name the columns flight, date, direction, status and time; it has ‘SK971’, "
                     "‘2020-11-15’, ‘arrival’, ‘delayed’, ‘16:00’, so flight, date, direction, status are missing. Add "
                     "the header row, or rename the columns.", id="no_header"),
        pytest.param(HEADER.encode(), "The file has a header row but no flights below it. Add one flight per row.",
                     id="header_only"),
    ],
)  # fmt: skip
def test_an_unreadable_file_is_refused_and_nothing_is_applied(flights, data, message):
    assert flights_import_preview(file=data).refused == message
    with pytest.raises(ImportRefused) as refused:
        flights_import_apply(file=data, by="test")
    assert refused.value.errors == [RowError(0, "", message)]
    assert not AuditEntry.objects.filter(action="delegations.travel.flight_status").exists()


def test_an_oversized_file_is_refused_naming_the_limit(flights, monkeypatch):
    monkeypatch.setattr(flight_import, "MAX_BYTES", 2_000)
    data = csv_bytes(*["SK971,2020-11-15,arrival,delayed,16:00"] * 60)
    assert len(data) > 2_000
    preview = flights_import_preview(file=io.BytesIO(data))
    assert preview.refused == (
        "The file is larger than 2 kB, the most one flight list may be. Upload the list of the days you need, or split "
        "it into several files."
    )
    with pytest.raises(ImportRefused):
        flights_import_apply(file=data, by="test")
    assert fresh(flights.king).arrival_status == "scheduled"


def test_a_file_with_too_many_rows_is_refused(flights, monkeypatch):
    monkeypatch.setattr(flight_import, "MAX_ROWS", 3)
    data = csv_bytes(*["TG580,2020-11-15,arrival,landed,08:52"] * 4)
    assert flights_import_preview(file=data).refused.startswith("The file has more than 3 flights")


def test_a_stale_preview_is_refused_and_nothing_is_applied(flights):
    data = csv_bytes("SK971,2020-11-15,arrival,delayed,16:10", "TG580,2020-11-15,arrival,landed,08:52")
    preview = flights_import_preview(file=data)
    # Meanwhile a liaison marks Thailand's flight landed at another time.
    flight_status_set(travel=flights.thai, leg="arrival", status="landed", at=at(-1, "08:49"), by="liaison")
    with pytest.raises(ValidationError) as refused:
        flights_import_apply(file=data, by="test", expected=preview.digest)
    assert "The flights changed since the preview" in refused.value.messages[0]
    assert fresh(flights.king).arrival_status == "scheduled"
    assert fresh(flights.thai).arrival_at == at(-1, "08:49")


def test_applying_twice_writes_once(flights):
    data = csv_bytes("SK971,2020-11-15,arrival,delayed,16:10")
    assert flights_import_apply(file=data, by="test").written == 3
    again = flights_import_apply(file=data, by="test")
    assert again.written == 0
    assert again.summary() == "0 flight(s) changed (0 traveller(s)); 1 already as listed."
    assert AuditEntry.objects.filter(action="delegations.travel.flight_status").count() == 3


def test_the_preview_runs_a_fixed_number_of_queries(flights, django_assert_max_num_queries):
    rows = [f"SK971,2020-11-15,arrival,delayed,16:{m:02d}" for m in range(1)] + [
        f"XX{n},2020-11-15,arrival,landed,08:00" for n in range(100, 400)
    ]
    with django_assert_max_num_queries(3):
        preview = flights_import_preview(file=csv_bytes(*rows))
    assert len(preview.errors) == 300
