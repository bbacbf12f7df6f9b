"""Events, rooms, transfer times and sessions: validation messages, database constraints, no double booking."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from asemplanner.models import AuditEntry
from events.domain.sessions import session_create
from events.models import Event, Room, Session, TransferTime
from tests.factories import (
    SUMMIT_START,
    EventFactory,
    RoomFactory,
    SessionFactory,
    TransferTimeFactory,
    UserFactory,
    VenueFactory,
    at,
)

pytestmark = pytest.mark.django_db

# Ranges compared with the booked session [09:00, 10:00) on the first summit day.
OVERLAPPING = [
    pytest.param("09:00", "10:00", id="exact"),
    pytest.param("09:15", "09:45", id="contained"),
    pytest.param("08:30", "10:30", id="containing"),
    pytest.param("09:00", "09:30", id="shared_start"),
    pytest.param("09:30", "10:00", id="shared_end"),
    pytest.param("08:30", "09:30", id="partial_before"),
    pytest.param("09:30", "10:30", id="partial_after"),
]
TOUCHING = [
    pytest.param("08:00", "09:00", id="touching_before"),
    pytest.param("10:00", "11:00", id="touching_after"),
]


def new_session(event, room, start, end, **fields):
    return Session(event=event, room=room, title="Newcomer", start=at(0, start), end=at(0, end), **fields)


def clean_and_save(instance):
    """The positive case end to end: validation accepts the instance and the database stores it."""
    instance.full_clean()
    instance.save()
    return type(instance)._default_manager.get(pk=instance.pk)


# --- Room overlap: the database guard (PostgreSQL exclusion constraint) ---------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize(("start", "end"), OVERLAPPING)
def test_session_overlapping_in_same_room_violates_exclusion_constraint(booked, start, end):
    clash = new_session(booked.event, booked.room, start, end)

    with pytest.raises(IntegrityError, match="session_room_no_overlap"), transaction.atomic():
        clash.save()

    assert list(Session.objects.filter(room=booked.room)) == [booked]


@pytest.mark.postgres
@pytest.mark.parametrize(("start", "end"), TOUCHING)
def test_session_touching_in_same_room_is_saved(booked, start, end):
    neighbour = new_session(booked.event, booked.room, start, end)
    neighbour.save()

    assert Session.objects.filter(room=booked.room).count() == 2


@pytest.mark.postgres
@pytest.mark.parametrize(("start", "end"), OVERLAPPING)
def test_session_cancelled_may_overlap_in_database(booked, start, end):
    new_session(booked.event, booked.room, start, end, status=Session.Status.CANCELLED).save()

    assert Session.objects.filter(room=booked.room).count() == 2


@pytest.mark.postgres
def test_session_may_overlap_a_cancelled_one_in_database(booked):
    booked.status = Session.Status.CANCELLED
    booked.save()

    new_session(booked.event, booked.room, "09:00", "10:00").save()

    assert Session.objects.filter(room=booked.room, status=Session.Status.SCHEDULED).count() == 1


@pytest.mark.postgres
def test_session_moved_onto_a_booked_slot_violates_exclusion_constraint(booked):
    later = new_session(booked.event, booked.room, "11:00", "12:00")
    later.save()
    later.start, later.end = at(0, "09:30"), at(0, "10:30")

    with pytest.raises(IntegrityError), transaction.atomic():
        later.save()

    later.refresh_from_db()
    assert later.start == at(0, "11:00")


@pytest.mark.postgres
@pytest.mark.parametrize(("start", "end"), OVERLAPPING)
def test_session_overlapping_in_other_room_is_saved(booked, start, end):
    other_room = RoomFactory(venue=booked.room.venue, name="Hall B")

    new_session(booked.event, other_room, start, end).save()

    assert Session.objects.count() == 2


# --- Room overlap: the same rule through validation, on every database -----------------------------------------


@pytest.mark.parametrize(("start", "end"), OVERLAPPING)
def test_session_clean_overlapping_in_same_room_names_the_clash(booked, start, end):
    clash = new_session(booked.event, booked.room, start, end)

    with pytest.raises(ValidationError) as exc:
        clash.full_clean()

    assert set(exc.value.message_dict) == {"room"}
    message = exc.value.message_dict["room"][0]
    assert "Peace Palace · Hall A is already booked for “Retreat” (ASEM13)" in message
    assert "from 16 Nov 2020 09:00 to 16 Nov 2020 10:00" in message
    assert "sessions may touch but not overlap" in message


@pytest.mark.parametrize(("start", "end"), TOUCHING)
def test_session_clean_touching_in_same_room_is_valid(booked, start, end):
    stored = clean_and_save(new_session(booked.event, booked.room, start, end))

    assert (stored.room, stored.start, stored.end) == (booked.room, at(0, start), at(0, end))


@pytest.mark.parametrize(("start", "end"), OVERLAPPING)
def test_session_clean_cancelled_may_overlap(booked, start, end):
    stored = clean_and_save(new_session(booked.event, booked.room, start, end, status=Session.Status.CANCELLED))

    assert (stored.room, stored.status) == (booked.room, "cancelled")


def test_session_clean_overlapping_a_cancelled_session_is_valid(booked):
    booked.status = Session.Status.CANCELLED
    booked.save()

    stored = clean_and_save(new_session(booked.event, booked.room, "09:00", "10:00"))

    assert list(Session.objects.filter(room=booked.room).exclude(status="cancelled")) == [stored]


@pytest.mark.parametrize(("start", "end"), OVERLAPPING)
def test_session_clean_overlapping_in_other_room_is_valid(booked, start, end):
    other_room = RoomFactory(venue=booked.room.venue, name="Hall B", opens_at=dt.time(8), closes_at=dt.time(18))

    stored = clean_and_save(new_session(booked.event, other_room, start, end))

    assert stored.room == other_room


def test_session_clean_does_not_clash_with_itself(booked):
    booked.title = "Leaders' retreat"

    assert clean_and_save(booked).title == "Leaders' retreat"


def test_session_clean_overlap_with_session_of_another_event_is_refused(booked):
    side_event = EventFactory(acronym="ABF", kind=Event.Kind.SIDE_EVENT, parent=booked.event)
    clash = new_session(side_event, booked.room, "09:30", "10:30")

    with pytest.raises(ValidationError) as exc:
        clash.full_clean()

    assert "already booked for “Retreat” (ASEM13)" in exc.value.message_dict["room"][0]


def test_session_create_overlapping_is_refused_and_not_saved(booked):
    with pytest.raises(ValidationError) as exc:
        session_create(
            event=booked.event, title="Clash", room=booked.room, start=at(0, "09:30"), end=at(0, "10:30"), by="test"
        )

    assert "room" in exc.value.message_dict
    assert list(Session.objects.all()) == [booked]
    assert not AuditEntry.objects.exists()


# --- Field-specific validation messages ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [
        pytest.param("10:00", "09:00", id="end_before_start"),
        pytest.param("10:00", "10:00", id="zero_length"),
    ],
)
def test_session_clean_end_not_after_start_is_an_end_error(event, room, start, end):
    with pytest.raises(ValidationError) as exc:
        new_session(event, room, start, end).full_clean()

    assert set(exc.value.message_dict) == {"end"}
    assert "not after its start" in exc.value.message_dict["end"][0]


@pytest.mark.parametrize(
    ("start", "end", "fields"),
    [
        pytest.param(at(-1, "09:00"), at(-1, "10:00"), {"start", "end"}, id="day_before"),
        pytest.param(at(2, "09:00"), at(2, "10:00"), {"start", "end"}, id="day_after"),
        pytest.param(at(-1, "23:30"), at(0, "09:00"), {"start"}, id="partial_before"),
        pytest.param(at(1, "17:00"), at(2, "09:00"), {"end"}, id="partial_after"),
    ],
)
def test_session_clean_outside_event_dates(event, room, start, end, fields):
    session = Session(event=event, room=room, title="Out of bounds", start=start, end=end)

    with pytest.raises(ValidationError) as exc:
        session.full_clean()

    assert set(exc.value.message_dict) == fields
    for field in fields:
        assert "outside the dates of ASEM13 runs 16 Nov 2020 to 17 Nov 2020" in exc.value.message_dict[field][0]


def test_session_clean_on_last_event_day_is_valid(event, room):
    stored = clean_and_save(Session(event=event, room=room, title="Closing", start=at(1, "16:00"), end=at(1, "18:00")))

    assert stored.end == at(1, "18:00")


@pytest.mark.parametrize(
    ("start", "end", "fields"),
    [
        pytest.param("07:00", "08:30", {"start"}, id="starts_before_opening"),
        pytest.param("17:30", "18:30", {"end"}, id="ends_after_closing"),
        pytest.param("18:00", "19:00", {"start", "end"}, id="starts_at_closing"),
    ],
)
def test_session_clean_outside_room_opening_hours(event, room, start, end, fields):
    with pytest.raises(ValidationError) as exc:
        new_session(event, room, start, end).full_clean()

    assert set(exc.value.message_dict) == fields
    for field in fields:
        assert "Peace Palace · Hall A is open 08:00–18:00" in exc.value.message_dict[field][0]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        pytest.param("08:00", "09:00", id="starts_at_opening"),
        pytest.param("17:00", "18:00", id="ends_at_closing"),
    ],
)
def test_session_clean_at_room_opening_hours_edges_is_valid(event, room, start, end):
    stored = clean_and_save(new_session(event, room, start, end))

    assert (stored.start, stored.end) == (at(0, start), at(0, end))


def test_session_clean_crossing_midnight_is_refused(event):
    late_room = RoomFactory(name="Terrace", opens_at=dt.time(7, 0), closes_at=dt.time(23, 0))
    session = Session(event=event, room=late_room, title="Gala", start=at(0, "22:30"), end=at(1, "00:30"))

    with pytest.raises(ValidationError) as exc:
        session.full_clean()

    assert set(exc.value.message_dict) == {"end"}
    assert "Ends at 17 Nov 2020 00:30" in exc.value.message_dict["end"][0]
    assert "is open 07:00–23:00" in exc.value.message_dict["end"][0]


def test_session_clean_room_without_hours_accepts_any_time(event):
    always_open = RoomFactory(name="Press centre", opens_at=None, closes_at=None)

    stored = clean_and_save(
        Session(event=event, room=always_open, title="Night briefing", start=at(0, "02:00"), end=at(0, "03:00"))
    )

    assert stored.start == at(0, "02:00")


def test_session_clean_category_audience_needs_category(event, room):
    session = new_session(event, room, "11:00", "12:00", audience=Session.Audience.CATEGORY)

    with pytest.raises(ValidationError) as exc:
        session.full_clean()

    assert "Choose the category that attends" in exc.value.message_dict["audience_category"][0]


def test_event_clean_end_before_start_is_an_end_date_error():
    event = Event(
        acronym="BAD", name="Backwards", start_date=SUMMIT_START, end_date=SUMMIT_START - dt.timedelta(days=1)
    )

    with pytest.raises(ValidationError) as exc:
        event.full_clean()

    assert "end_date" in exc.value.message_dict
    assert "before its start (16 Nov 2020)" in exc.value.message_dict["end_date"][0]


def test_event_clean_one_day_event_is_valid():
    stored = clean_and_save(Event(acronym="ONE", name="One day", start_date=SUMMIT_START, end_date=SUMMIT_START))

    assert stored.start_date == stored.end_date == SUMMIT_START


def test_event_clean_summit_with_parent_is_a_parent_error():
    summit = EventFactory(acronym="ASEM12")
    event = Event(
        acronym="ASEM13",
        name="Summit",
        kind=Event.Kind.SUMMIT,
        parent=summit,
        start_date=SUMMIT_START,
        end_date=SUMMIT_START,
    )

    with pytest.raises(ValidationError) as exc:
        event.full_clean()

    assert "A summit cannot belong to another event" in exc.value.message_dict["parent"][0]


def test_event_clean_side_event_of_side_event_is_a_parent_error():
    side = EventFactory(acronym="ABF", kind=Event.Kind.SIDE_EVENT, parent=EventFactory(acronym="ASEM13"))
    event = Event(
        acronym="AYF",
        name="Youth",
        kind=Event.Kind.SIDE_EVENT,
        parent=side,
        start_date=SUMMIT_START,
        end_date=SUMMIT_START,
    )

    with pytest.raises(ValidationError) as exc:
        event.full_clean()

    assert "ABF is a side event; choose a summit as the parent" in exc.value.message_dict["parent"][0]


@pytest.mark.parametrize(
    ("opens_at", "closes_at", "field", "fragment"),
    [
        pytest.param(dt.time(18), dt.time(8), "closes_at", "not after it opens", id="closes_before_opening"),
        pytest.param(dt.time(8), dt.time(8), "closes_at", "not after it opens", id="closes_at_opening"),
        pytest.param(dt.time(8), None, "closes_at", "Give both opening and closing time", id="no_closing_time"),
        pytest.param(None, dt.time(18), "opens_at", "Give both opening and closing time", id="no_opening_time"),
    ],
)
def test_room_clean_opening_hours(opens_at, closes_at, field, fragment):
    room = Room(venue=VenueFactory(), name="Hall", capacity=10, opens_at=opens_at, closes_at=closes_at)

    with pytest.raises(ValidationError) as exc:
        room.full_clean()

    assert fragment in exc.value.message_dict[field][0]


def test_transfer_time_clean_negative_minutes_is_a_minutes_error():
    transfer = TransferTime(from_venue=VenueFactory(), to_venue=VenueFactory(), minutes=-5)

    with pytest.raises(ValidationError) as exc:
        transfer.full_clean()

    assert set(exc.value.message_dict) == {"minutes"}
    assert any("cannot be negative" in message for message in exc.value.message_dict["minutes"])


def test_transfer_time_clean_zero_minutes_is_valid():
    stored = clean_and_save(TransferTime(from_venue=VenueFactory(), to_venue=VenueFactory(), minutes=0))

    assert stored.minutes == 0


def test_transfer_time_clean_to_same_venue_is_a_to_venue_error():
    venue = VenueFactory()
    transfer = TransferTime(from_venue=venue, to_venue=venue, minutes=5)

    with pytest.raises(ValidationError) as exc:
        transfer.full_clean()

    assert set(exc.value.message_dict) == {"to_venue"}
    assert "a transfer goes between two venues" in exc.value.message_dict["to_venue"][0]


# --- Database constraints, on every database -------------------------------------------------------------------


def test_event_end_date_before_start_date_violates_check_constraint():
    event = Event(
        acronym="BAD", name="Backwards", start_date=SUMMIT_START, end_date=SUMMIT_START - dt.timedelta(days=1)
    )

    with pytest.raises(IntegrityError, match="event_end_on_or_after_start"), transaction.atomic():
        event.save()

    assert not Event.objects.filter(acronym="BAD").exists()


def test_event_summit_with_parent_violates_check_constraint():
    summit = EventFactory(acronym="ASEM12")

    with pytest.raises(IntegrityError, match="event_summit_has_no_parent"), transaction.atomic():
        Event(
            acronym="X", name="X", kind=Event.Kind.SUMMIT, parent=summit, start_date=SUMMIT_START, end_date=SUMMIT_START
        ).save()


@pytest.mark.parametrize(
    ("start", "end"),
    [
        pytest.param("10:00", "09:00", id="end_before_start"),
        pytest.param("10:00", "10:00", id="zero_length"),
    ],
)
def test_session_end_not_after_start_violates_check_constraint(event, room, start, end):
    with pytest.raises(IntegrityError, match="session_end_after_start"), transaction.atomic():
        new_session(event, room, start, end).save()

    assert not Session.objects.exists()


def test_transfer_time_to_same_venue_violates_check_constraint():
    venue = VenueFactory()

    with pytest.raises(IntegrityError, match="transfer_between_two_venues"), transaction.atomic():
        TransferTime(from_venue=venue, to_venue=venue, minutes=5).save()


def test_transfer_time_pair_is_unique():
    first = TransferTimeFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        TransferTime(from_venue=first.from_venue, to_venue=first.to_venue, minutes=99).save()

    # The reverse direction is a different transfer.
    TransferTime(from_venue=first.to_venue, to_venue=first.from_venue, minutes=25).save()
    assert TransferTime.objects.count() == 2


def test_room_name_is_unique_per_venue(room):
    with pytest.raises(IntegrityError), transaction.atomic():
        Room(venue=room.venue, name=room.name, capacity=5).save()

    Room(venue=VenueFactory(), name=room.name, capacity=5).save()
    assert Room.objects.filter(name=room.name).count() == 2


def test_session_create_end_before_start_saves_nothing(event, room):
    user = UserFactory()

    with pytest.raises(ValidationError) as exc:
        session_create(event=event, title="Backwards", room=room, start=at(0, "10:00"), end=at(0, "09:00"), by=user)

    assert "end" in exc.value.message_dict
    assert not Session.objects.exists()
    assert not AuditEntry.objects.exists()


def test_session_factory_default_is_valid():
    # Guards the other tests: the factory's session passes every rule on its own.
    session = SessionFactory()

    assert clean_and_save(session).title == session.title
