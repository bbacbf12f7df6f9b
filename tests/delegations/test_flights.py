"""Flight status by hand (`flight_status_set`): each status rule and its message, the party marked together,
the audit trail and the follow-ups a moved arrival starts."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError

from asemplanner.choices import Category, Rank
from asemplanner.models import AuditEntry
from delegations.domain.flights import flight_days, flight_status_set, flights_on_day
from delegations.models import Travel
from events.models import ConflictCheckRequest
from tests.factories import DelegationFactory, EventFactory, PartnerFactory, PersonFactory, TravelFactory, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def party():
    """Sweden's king and minister on SK971 (15 Nov 14:00), leaving on SK972 (18 Nov 10:00); Norway's minister on
    the same SK971; Sweden's security officer on another flight the same day."""
    event = EventFactory(acronym="ASEM13")
    sweden = DelegationFactory(event=event, partner=PartnerFactory(code="SWE", name="Sweden"))
    norway = DelegationFactory(event=event, partner=PartnerFactory(code="NOR", name="Norway"))

    def traveller(delegation, name, flight="SK971", **fields):
        person = PersonFactory(delegation=delegation, family_name=name, **fields)
        return TravelFactory(person=person, arrival_flight=flight, departure_flight="SK972")

    king = traveller(sweden, "Bernadotte", rank=Rank.HEAD_OF_STATE, category=Category.PRINCIPAL)
    minister = traveller(sweden, "Lind", flight="SK 971")  # spelled with a space: the same flight
    guard = traveller(sweden, "Holm", flight="TG580")
    norwegian = traveller(norway, "Solberg")
    return SimpleNamespace(event=event, king=king, minister=minister, guard=guard, norwegian=norwegian)


def fresh(travel: Travel) -> Travel:
    return Travel.objects.get(pk=travel.pk)


def test_delayed_moves_the_whole_party_and_only_it(party):
    flight_status_set(travel=party.king, leg="arrival", status="delayed", at=at(-1, "16:30"), by="test")
    for travel in (party.king, party.minister):
        row = fresh(travel)
        assert (row.arrival_status, row.arrival_at) == ("delayed", at(-1, "16:30"))
        assert row.status_updated_at is not None
    # Norway is on the same plane but its own party; Sweden's guard flies another flight.
    for travel in (party.norwegian, party.guard):
        row = fresh(travel)
        assert (row.arrival_status, row.arrival_at) == ("scheduled", at(-1, "14:00"))
        assert row.status_updated_at is None


def test_delayed_without_a_time_is_refused_naming_the_time(party):
    with pytest.raises(ValidationError) as refused:
        flight_status_set(travel=party.king, leg="arrival", status="delayed", by="test")
    assert refused.value.message_dict == {
        "at": ["A delayed arrival needs its new time: enter the expected time of the arrival (Phnom Penh time)."]
    }
    assert fresh(party.king).arrival_status == "scheduled"


def test_landed_takes_the_actual_time(party):
    flight_status_set(travel=party.minister, leg="arrival", status="landed", at=at(-1, "13:52"), by="test")
    for travel in (party.king, party.minister):
        assert (fresh(travel).arrival_status, fresh(travel).arrival_at) == ("landed", at(-1, "13:52"))


def test_landed_without_a_time_is_now(party, time_machine):
    time_machine.move_to(at(-1, "14:07"))
    flight_status_set(travel=party.king, leg="arrival", status="landed", by="test")
    row = fresh(party.king)
    assert (row.arrival_status, row.arrival_at, row.status_updated_at) == ("landed", at(-1, "14:07"), at(-1, "14:07"))


def test_landed_in_the_future_is_refused(party, time_machine):
    time_machine.move_to(at(-1, "12:00"))
    with pytest.raises(ValidationError) as refused:
        flight_status_set(travel=party.king, leg="arrival", status="landed", at=at(-1, "14:00"), by="test")
    assert refused.value.message_dict["at"] == [
        "15 Nov 2020 14:00 is in the future: a flight that has landed has its actual time, now or earlier. Mark it "
        "delayed with the expected time instead."
    ]


def test_at_hotel_needs_a_landed_arrival_first(party):
    with pytest.raises(ValidationError) as refused:
        flight_status_set(travel=party.king, leg="arrival", status="at_hotel", by="test")
    assert refused.value.message_dict == {
        "status": ["Only a landed arrival can be at the hotel; this one is on schedule. Mark it landed first."]
    }
    flight_status_set(travel=party.king, leg="arrival", status="landed", at=at(-1, "14:05"), by="test")
    flight_status_set(travel=party.king, leg="arrival", status="at_hotel", by="test")
    assert {fresh(t).arrival_status for t in (party.king, party.minister)} == {"at_hotel"}
    assert fresh(party.king).arrival_at == at(-1, "14:05")  # the landing time stays


def test_at_hotel_takes_no_time(party):
    flight_status_set(travel=party.king, leg="arrival", status="landed", at=at(-1, "14:05"), by="test")
    with pytest.raises(ValidationError) as refused:
        flight_status_set(travel=party.king, leg="arrival", status="at_hotel", at=at(-1, "15:00"), by="test")
    assert refused.value.message_dict == {
        "at": ["At hotel takes no time: the landing time stays. Leave the time empty."]
    }


def test_a_landed_flight_cannot_be_delayed_but_can_be_put_back_on_schedule(party):
    flight_status_set(travel=party.king, leg="arrival", status="landed", at=at(-1, "14:05"), by="test")
    with pytest.raises(ValidationError) as refused:
        flight_status_set(travel=party.king, leg="arrival", status="delayed", at=at(-1, "17:00"), by="test")
    assert refused.value.message_dict == {
        "status": [
            "This flight has already landed at 15 Nov 2020 14:05, so it cannot be delayed. If it was marked landed "
            "by mistake, mark it on schedule first."
        ]
    }
    flight_status_set(travel=party.king, leg="arrival", status="scheduled", by="test")
    assert (fresh(party.king).arrival_status, fresh(party.king).arrival_at) == ("scheduled", at(-1, "14:05"))


@pytest.mark.parametrize(
    ("leg", "status", "when", "message"),
    [
        pytest.param(
            "arrival", "delayed", at(-4, "10:00"),
            "Arrives 12 Nov 2020 10:00, outside the travel window of ASEM13 and its side events: travel must "
            "fall between 13 Nov 2020 00:00 and 21 Nov 2020 00:00. Check the date, and the time zone it was entered "
            "in.",
            id="before_window",
        ),
        pytest.param(
            "arrival", "delayed", at(2, "11:00"),
            "The new arrival, 18 Nov 2020 11:00, is not before the departure on file (18 Nov 2020 10:00). Enter an "
            "arrival before the departure, or change the departure first.",
            id="after_departure",
        ),
        pytest.param(
            "departure", "delayed", at(5, "09:00"),
            "Departs 21 Nov 2020 09:00, outside the travel window of ASEM13 and its side events: travel must "
            "fall between 13 Nov 2020 00:00 and 21 Nov 2020 00:00. Check the date, and the time zone it was entered "
            "in.",
            id="after_window",
        ),
        pytest.param(
            "departure", "departed", at(-1, "13:00"),
            "The new departure, 15 Nov 2020 13:00, is not after the arrival on file (15 Nov 2020 14:00). Enter a "
            "departure after the arrival, or change the arrival first.",
            id="departs_before_arriving",
        ),
    ],
)  # fmt: skip
def test_time_outside_the_journey_is_refused_and_nothing_changes(party, leg, status, when, message):
    before = [(fresh(t).arrival_at, fresh(t).departure_at) for t in (party.king, party.minister)]
    with pytest.raises(ValidationError) as refused:
        flight_status_set(travel=party.king, leg=leg, status=status, at=when, by="test")
    assert refused.value.message_dict == {"at": [message]}
    assert [(fresh(t).arrival_at, fresh(t).departure_at) for t in (party.king, party.minister)] == before
    assert not AuditEntry.objects.filter(action="delegations.travel.flight_status").exists()


@pytest.mark.parametrize(
    ("leg", "status", "message"),
    [
        pytest.param("arrival", "departed", "‘departed’ is not a status of an arrival: use On schedule, Delayed, "
                     "Landed, At hotel.", id="departed_arrival"),
        pytest.param("departure", "at_hotel", "‘at_hotel’ is not a status of a departure: use On schedule, Delayed, "
                     "Departed.", id="departure_at_hotel"),
    ],
)  # fmt: skip
def test_a_status_of_the_other_leg_is_refused(party, leg, status, message):
    with pytest.raises(ValidationError) as refused:
        flight_status_set(travel=party.king, leg=leg, status=status, at=at(-1, "13:00"), by="test")
    assert refused.value.message_dict == {"status": [message]}


def test_an_unknown_leg_is_refused(party):
    with pytest.raises(ValidationError) as refused:
        flight_status_set(travel=party.king, leg="transit", status="delayed", at=at(-1, "15:00"), by="test")
    assert refused.value.message_dict == {"leg": ["‘transit’ is not a leg of a journey: use arrival or departure."]}


def test_one_member_refusing_refuses_the_party_naming_them(party):
    """The minister leaves earlier than the king: delaying the party's arrival past it is refused for all."""
    minister = fresh(party.minister)
    minister.departure_at = at(-1, "20:00")
    minister.save()
    with pytest.raises(ValidationError) as refused:
        flight_status_set(travel=party.king, leg="arrival", status="delayed", at=at(-1, "21:00"), by="test")
    (message,) = refused.value.message_dict["at"]
    assert message.startswith(f"For {minister.person}, on the same flight: The new arrival, 15 Nov 2020 21:00")
    assert fresh(party.king).arrival_at == at(-1, "14:00")


def test_departure_party_marked_departed(party):
    flight_status_set(travel=party.king, leg="departure", status="departed", at=at(2, "10:20"), by="test")
    for travel in (party.king, party.minister, party.guard):  # the guard flies home with them on SK972
        assert (fresh(travel).departure_status, fresh(travel).departure_at) == ("departed", at(2, "10:20"))
    assert fresh(party.norwegian).departure_status == "scheduled"


def test_every_traveller_gets_an_audit_entry(party, django_user_model):
    user = django_user_model.objects.create(username="protocol-officer")
    flight_status_set(travel=party.king, leg="arrival", status="delayed", at=at(-1, "16:30"), by=user)
    entries = AuditEntry.objects.filter(action="delegations.travel.flight_status").order_by("object_id")
    assert [e.object_id for e in entries] == sorted([str(party.king.pk), str(party.minister.pk)])
    entry = entries.get(object_id=str(party.king.pk))
    assert entry.actor == user
    assert entry.changes["arrival_status"] == ["scheduled", "delayed"]
    assert entry.changes["arrival_at"] == ["2020-11-15T14:00:00+07:00", "2020-11-15T16:30:00+07:00"]
    assert "status_updated_at" in entry.changes


def test_marking_what_is_already_so_writes_nothing(party):
    flight_status_set(travel=party.king, leg="arrival", status="delayed", at=at(-1, "16:30"), by="test")
    flight_status_set(travel=party.king, leg="arrival", status="delayed", at=at(-1, "16:30"), by="test")
    assert AuditEntry.objects.filter(action="delegations.travel.flight_status").count() == 2  # the first mark only


def test_a_moved_arrival_is_published_like_any_travel_write(party, django_capture_on_commit_callbacks):
    """Planning follows Travel changes (docs/architecture.md): the person's clashes are queued for a re-check."""
    with django_capture_on_commit_callbacks(execute=True):
        flight_status_set(travel=party.king, leg="arrival", status="delayed", at=at(-1, "16:30"), by="test")
    queued = set(ConflictCheckRequest.objects.values_list("key", flat=True))
    assert {f"person:{party.king.person_id}", f"person:{party.minister.person_id}"} <= queued


def test_the_days_flights_one_row_per_party(party):
    parties = flights_on_day(at(-1, "00:00").date())
    arrivals = [(p.flight, p.delegation.partner.code, len(p.travels)) for p in parties if p.leg == "arrival"]
    assert sorted(arrivals) == [("SK971", "NOR", 1), ("SK971", "SWE", 2), ("TG580", "SWE", 1)]
    assert not [p for p in parties if p.leg == "departure"]
    assert flight_days() == [dt.date(2020, 11, 15), dt.date(2020, 11, 18)]
