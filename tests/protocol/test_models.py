"""Bilateral meetings and protocol tasks: validation messages, constraints, no double booking, no half-saves."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from asemplanner.models import AuditEntry
from protocol.domain.bilaterals import bilateral_accept, bilateral_decline, bilateral_request, bilateral_schedule
from protocol.domain.protocol_tasks import task_create
from protocol.models import BilateralMeeting, BilateralWindow, ProtocolTask
from tests.factories import (
    BilateralMeetingFactory,
    DelegationFactory,
    EventFactory,
    PartnerFactory,
    PersonFactory,
    ProtocolTaskFactory,
    RoomFactory,
    UserFactory,
    VenueFactory,
    at,
)

pytestmark = pytest.mark.django_db

# Ranges compared with the scheduled bilateral [09:00, 10:00) on the first summit day.
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


@pytest.fixture
def event():
    return EventFactory(acronym="ASEM13")


@pytest.fixture
def room():
    return RoomFactory(venue__name="Sokha Hotel", name="Bilateral room 1", opens_at=dt.time(8), closes_at=dt.time(18))


@pytest.fixture
def cambodia(event):
    return DelegationFactory(partner=PartnerFactory(code="KHM", name="Cambodia"), event=event)


@pytest.fixture
def germany(event):
    return DelegationFactory(partner=PartnerFactory(code="DEU", name="Germany"), event=event)


def placed(event, room, start, end, *, status=BilateralMeeting.Status.SCHEDULED, **fields):
    """A bilateral between two new delegations, in `room` over [start, end) on the first day, saved unvalidated."""
    start, end = at(0, start), at(0, end)
    return BilateralMeetingFactory(
        event=event,
        room=room,
        start=start,
        end=end,
        duration_minutes=int((end - start).total_seconds() // 60),
        status=status,
        **fields,
    )


def unsaved_placed(event, room, start, end, *, status=BilateralMeeting.Status.SCHEDULED):
    start, end = at(0, start), at(0, end)
    return BilateralMeetingFactory.build(
        event=event,
        requester=DelegationFactory(event=event),
        counterpart=DelegationFactory(event=event),
        room=room,
        start=start,
        end=end,
        duration_minutes=int((end - start).total_seconds() // 60),
        status=status,
    )


def clean_and_save(instance):
    """The positive case end to end: validation accepts the instance and the database stores it."""
    instance.full_clean()
    instance.save()
    return type(instance)._default_manager.get(pk=instance.pk)


@pytest.fixture
def booked(event, room):
    return placed(event, room, "09:00", "10:00")


# --- Room overlap: the database guard (PostgreSQL exclusion constraint) ---------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize(("start", "end"), OVERLAPPING)
def test_bilateral_scheduled_overlapping_in_same_room_violates_exclusion_constraint(booked, start, end):
    clash = unsaved_placed(booked.event, booked.room, start, end)

    with pytest.raises(IntegrityError, match="bilateral_room_no_overlap"), transaction.atomic():
        clash.save()

    assert list(BilateralMeeting.objects.all()) == [booked]


@pytest.mark.postgres
@pytest.mark.parametrize(("start", "end"), OVERLAPPING)
def test_bilateral_overlapping_a_held_one_violates_exclusion_constraint(event, room, start, end):
    placed(event, room, "09:00", "10:00", status=BilateralMeeting.Status.HELD)

    with pytest.raises(IntegrityError), transaction.atomic():
        unsaved_placed(event, room, start, end).save()


@pytest.mark.postgres
@pytest.mark.parametrize(("start", "end"), TOUCHING)
def test_bilateral_scheduled_touching_in_same_room_is_saved(booked, start, end):
    unsaved_placed(booked.event, booked.room, start, end).save()

    assert BilateralMeeting.objects.filter(room=booked.room).count() == 2


@pytest.mark.postgres
@pytest.mark.parametrize(
    "status",
    [
        BilateralMeeting.Status.REQUESTED,
        BilateralMeeting.Status.ACCEPTED,
        BilateralMeeting.Status.DECLINED,
        BilateralMeeting.Status.CANCELLED,
    ],
)
def test_bilateral_not_placed_may_overlap_in_database(booked, status):
    unsaved_placed(booked.event, booked.room, "09:00", "10:00", status=status).save()

    assert BilateralMeeting.objects.filter(room=booked.room).count() == 2


@pytest.mark.postgres
@pytest.mark.parametrize(("start", "end"), OVERLAPPING)
def test_bilateral_scheduled_overlapping_in_other_room_is_saved(booked, start, end):
    other_room = RoomFactory(venue=booked.room.venue, name="Bilateral room 2")

    unsaved_placed(booked.event, other_room, start, end).save()

    assert BilateralMeeting.objects.count() == 2


# --- Room overlap through validation, on every database ---------------------------------------------------------


@pytest.mark.parametrize(("start", "end"), OVERLAPPING)
def test_bilateral_clean_scheduled_overlapping_in_same_room_is_a_room_error(booked, start, end):
    clash = unsaved_placed(booked.event, booked.room, start, end)

    with pytest.raises(ValidationError) as exc:
        clash.full_clean()

    assert set(exc.value.message_dict) == {"room"}
    message = exc.value.message_dict["room"][0]
    assert f"Sokha Hotel · Bilateral room 1 is already booked for {booked}" in message
    assert "from 16 Nov 2020 09:00 to 16 Nov 2020 10:00" in message


@pytest.mark.parametrize(("start", "end"), TOUCHING)
def test_bilateral_clean_scheduled_touching_in_same_room_is_valid(booked, start, end):
    stored = clean_and_save(unsaved_placed(booked.event, booked.room, start, end))

    assert (stored.room, stored.status, stored.start) == (booked.room, "scheduled", at(0, start))


@pytest.mark.parametrize("status", [BilateralMeeting.Status.DECLINED, BilateralMeeting.Status.CANCELLED])
def test_bilateral_clean_overlapping_an_inactive_one_is_valid(event, room, status):
    placed(event, room, "09:00", "10:00", status=status)

    stored = clean_and_save(unsaved_placed(event, room, "09:00", "10:00"))

    assert list(BilateralMeeting.objects.filter(room=room, status="scheduled")) == [stored]


def test_bilateral_clean_does_not_clash_with_itself(booked):
    booked.subject = "Trade"

    assert clean_and_save(booked).subject == "Trade"


def test_bilateral_schedule_into_booked_room_is_refused_and_changes_nothing(booked, cambodia, germany):
    meeting = BilateralMeetingFactory(
        event=booked.event, requester=cambodia, counterpart=germany, status="accepted", duration_minutes=30
    )

    with pytest.raises(ValidationError) as exc:
        bilateral_schedule(meeting=meeting, room=booked.room, start=at(0, "09:30"), by="protocol")

    assert "already booked" in exc.value.message_dict["room"][0]
    stored = BilateralMeeting.objects.get(pk=meeting.pk)
    assert (stored.status, stored.room, stored.start) == ("accepted", None, None)
    assert not AuditEntry.objects.exists()


# --- Field-specific validation messages ----------------------------------------------------------------------


def test_bilateral_clean_with_itself_is_a_counterpart_error(cambodia):
    meeting = BilateralMeeting(event=cambodia.event, requester=cambodia, counterpart=cambodia)

    with pytest.raises(ValidationError) as exc:
        meeting.full_clean()

    assert set(exc.value.message_dict) == {"counterpart"}
    assert "two different delegations" in exc.value.message_dict["counterpart"][0]


@pytest.mark.parametrize(
    ("start", "end", "booked_minutes"),
    [
        pytest.param("09:00", "09:45", 45, id="longer"),
        pytest.param("09:00", "09:15", 15, id="shorter"),
    ],
)
def test_bilateral_clean_end_not_matching_duration_is_an_end_error(cambodia, germany, room, start, end, booked_minutes):
    meeting = BilateralMeeting(
        event=cambodia.event,
        requester=cambodia,
        counterpart=germany,
        duration_minutes=30,
        status="scheduled",
        room=room,
        start=at(0, start),
        end=at(0, end),
    )

    with pytest.raises(ValidationError) as exc:
        meeting.full_clean()

    assert set(exc.value.message_dict) == {"end"}
    assert (
        f"Start to end is {booked_minutes} minutes but the requested duration is 30" in exc.value.message_dict["end"][0]
    )


def test_bilateral_clean_end_before_start_is_an_end_error(cambodia, germany):
    meeting = BilateralMeeting(
        event=cambodia.event, requester=cambodia, counterpart=germany, start=at(0, "10:00"), end=at(0, "09:30")
    )

    with pytest.raises(ValidationError) as exc:
        meeting.full_clean()

    assert "not after its start" in exc.value.message_dict["end"][0]


def test_bilateral_clean_scheduled_without_room_and_time_names_each_field(cambodia, germany):
    meeting = BilateralMeeting(event=cambodia.event, requester=cambodia, counterpart=germany, status="scheduled")

    with pytest.raises(ValidationError) as exc:
        meeting.full_clean()

    assert {"start", "end", "room"} <= set(exc.value.message_dict)
    assert "needs a start, an end and a room" in exc.value.message_dict["room"][0]


def test_bilateral_clean_delegation_of_other_event_is_a_counterpart_error(cambodia):
    stranger = DelegationFactory(event=EventFactory(acronym="ASEM14"))
    meeting = BilateralMeeting(event=cambodia.event, requester=cambodia, counterpart=stranger)

    with pytest.raises(ValidationError) as exc:
        meeting.full_clean()

    assert f"{stranger} is not a delegation to ASEM13" in exc.value.message_dict["counterpart"][0]


def test_bilateral_clean_outside_event_dates_is_a_start_error(cambodia, germany, room):
    meeting = BilateralMeeting(
        event=cambodia.event,
        requester=cambodia,
        counterpart=germany,
        duration_minutes=30,
        status="scheduled",
        room=room,
        start=at(3, "09:00"),
        end=at(3, "09:30"),
    )

    with pytest.raises(ValidationError) as exc:
        meeting.full_clean()

    assert "outside the dates of ASEM13" in exc.value.message_dict["start"][0]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        pytest.param("09:00", "08:00", id="end_before_start"),
        pytest.param("08:00", "08:00", id="zero_length"),
    ],
)
def test_protocol_task_clean_end_not_after_start_is_an_end_error(start, end):
    task = ProtocolTaskFactory.build(event=EventFactory(), venue=VenueFactory(), start=at(0, start), end=at(0, end))

    with pytest.raises(ValidationError) as exc:
        task.full_clean()

    assert set(exc.value.message_dict) == {"end"}
    assert "not after its start" in exc.value.message_dict["end"][0]


def test_protocol_task_clean_motorcade_without_destination_is_a_destination_error():
    task = ProtocolTaskFactory.build(event=EventFactory(), venue=VenueFactory(), kind=ProtocolTask.Kind.MOTORCADE)

    with pytest.raises(ValidationError) as exc:
        task.full_clean()

    assert set(exc.value.message_dict) == {"destination"}
    assert "A motorcade needs a destination venue" in exc.value.message_dict["destination"][0]


def test_protocol_task_clean_motorcade_to_its_start_is_a_destination_error():
    venue = VenueFactory()
    task = ProtocolTaskFactory.build(
        event=EventFactory(), venue=venue, destination=venue, kind=ProtocolTask.Kind.MOTORCADE
    )

    with pytest.raises(ValidationError) as exc:
        task.full_clean()

    assert "choose a destination other than its start" in exc.value.message_dict["destination"][0]


def test_protocol_task_clean_motorcade_with_destination_is_valid():
    destination = VenueFactory()
    task = ProtocolTaskFactory.build(
        event=EventFactory(), venue=VenueFactory(), destination=destination, kind=ProtocolTask.Kind.MOTORCADE
    )

    assert clean_and_save(task).destination == destination


def test_protocol_task_clean_flags_need_no_destination():
    task = ProtocolTaskFactory.build(event=EventFactory(), venue=VenueFactory(), kind=ProtocolTask.Kind.FLAGS)

    assert clean_and_save(task).destination is None


def test_protocol_task_clean_person_outside_delegation_is_a_person_error(cambodia, germany):
    task = ProtocolTaskFactory.build(
        event=cambodia.event, venue=VenueFactory(), delegation=cambodia, person=PersonFactory(delegation=germany)
    )

    with pytest.raises(ValidationError) as exc:
        task.full_clean()

    assert f"is not in {cambodia}" in exc.value.message_dict["person"][0]


def test_task_create_end_before_start_saves_nothing(event):
    with pytest.raises(ValidationError) as exc:
        task_create(
            by="test",
            event=event,
            kind=ProtocolTask.Kind.FLAGS,
            title="Flags at the palace",
            venue=VenueFactory(),
            start=at(0, "09:00"),
            end=at(0, "08:00"),
        )

    assert "end" in exc.value.message_dict
    assert not ProtocolTask.objects.exists()
    assert not AuditEntry.objects.exists()


# --- Database constraints, on every database ---------------------------------------------------------------------


def test_protocol_task_end_before_start_violates_check_constraint(event):
    task = ProtocolTaskFactory.build(event=event, venue=VenueFactory(), start=at(0, "09:00"), end=at(0, "08:00"))

    with pytest.raises(IntegrityError, match="task_end_after_start"), transaction.atomic():
        task.save()


def test_bilateral_with_itself_violates_check_constraint(cambodia):
    with pytest.raises(IntegrityError, match="bilateral_two_different_delegations"), transaction.atomic():
        BilateralMeeting(event=cambodia.event, requester=cambodia, counterpart=cambodia).save()


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param(("cambodia", "germany"), ("cambodia", "germany"), id="same_order"),
        pytest.param(("cambodia", "germany"), ("germany", "cambodia"), id="reverse_order"),
    ],
)
def test_bilateral_second_active_for_pair_violates_unique_constraint(request, first, second):
    a, b = (request.getfixturevalue(name) for name in first)
    BilateralMeetingFactory(event=a.event, requester=a, counterpart=b)
    c, d = (request.getfixturevalue(name) for name in second)

    with pytest.raises(IntegrityError, match="bilateral_one_active_per_pair"), transaction.atomic():
        BilateralMeeting(event=c.event, requester=c, counterpart=d).save()

    assert BilateralMeeting.objects.count() == 1


@pytest.mark.parametrize("status", ["accepted", "held"])
def test_bilateral_active_status_blocks_reverse_request(cambodia, germany, room, status):
    placed_fields = {"room": room, "start": at(0, "09:00"), "end": at(0, "09:30")} if status == "held" else {}
    BilateralMeetingFactory(
        event=cambodia.event, requester=cambodia, counterpart=germany, status=status, **placed_fields
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        BilateralMeeting(event=cambodia.event, requester=germany, counterpart=cambodia).save()


@pytest.mark.parametrize("status", ["declined", "cancelled"])
def test_bilateral_inactive_does_not_block_a_new_request(cambodia, germany, status):
    BilateralMeetingFactory(event=cambodia.event, requester=cambodia, counterpart=germany, status=status)

    BilateralMeeting(event=cambodia.event, requester=germany, counterpart=cambodia).save()

    assert BilateralMeeting.objects.filter(status="requested").count() == 1


def test_bilateral_same_pair_at_other_event_is_allowed(cambodia, germany):
    BilateralMeetingFactory(event=cambodia.event, requester=cambodia, counterpart=germany)
    other = EventFactory(acronym="ASEM14")
    khm, deu = (
        DelegationFactory(partner=cambodia.partner, event=other),
        DelegationFactory(partner=germany.partner, event=other),
    )

    BilateralMeeting(event=other, requester=khm, counterpart=deu).save()

    assert BilateralMeeting.objects.count() == 2


def test_bilateral_scheduled_without_room_violates_check_constraint(cambodia, germany):
    with pytest.raises(IntegrityError, match="bilateral_scheduled_has_time_and_room"), transaction.atomic():
        BilateralMeeting(
            event=cambodia.event,
            requester=cambodia,
            counterpart=germany,
            status="scheduled",
            start=at(0, "09:00"),
            end=at(0, "09:30"),
        ).save()


# --- Domain functions: refused input leaves nothing behind ------------------------------------------------------


def test_bilateral_request_reverse_of_open_request_is_refused_with_message(cambodia, germany):
    bilateral_request(requester=cambodia, counterpart=germany, duration=30, priority=3, by="liaison")

    with pytest.raises(ValidationError) as exc:
        bilateral_request(requester=germany, counterpart=cambodia, duration=30, priority=3, by="liaison")

    assert "These two delegations already have an open bilateral at this event." in exc.value.messages
    assert BilateralMeeting.objects.count() == 1
    assert AuditEntry.objects.filter(action="protocol.bilateral.requested").count() == 1


def test_bilateral_request_after_decline_is_allowed(cambodia, germany):
    first = bilateral_request(requester=cambodia, counterpart=germany, duration=30, priority=3, by="liaison")
    bilateral_decline(meeting=first, by="liaison")

    second = bilateral_request(requester=germany, counterpart=cambodia, duration=45, priority=4, by="liaison")

    assert second.pk != first.pk
    assert set(BilateralMeeting.objects.values_list("status", flat=True)) == {"declined", "requested"}


@pytest.mark.parametrize(
    ("window_start", "window_end"),
    [
        pytest.param("11:00", "10:00", id="end_before_start"),
        pytest.param("10:00", "10:00", id="zero_length"),
    ],
)
def test_bilateral_request_with_bad_window_saves_nothing(cambodia, germany, window_start, window_end):
    good = (at(0, "08:00"), at(0, "09:00"))
    bad = (at(0, window_start), at(0, window_end))

    with pytest.raises(ValidationError) as exc:
        bilateral_request(
            requester=cambodia, counterpart=germany, duration=30, priority=3, by="liaison", windows=[good, bad]
        )

    (message,) = exc.value.message_dict["windows"]
    assert message.startswith("Preferred window 2: ")  # says which window, not just which field
    assert "not after its start" in message
    assert not BilateralMeeting.objects.exists()
    assert not BilateralWindow.objects.exists()
    assert not AuditEntry.objects.exists()


def test_bilateral_request_with_itself_saves_nothing(cambodia):
    with pytest.raises(ValidationError) as exc:
        bilateral_request(requester=cambodia, counterpart=cambodia, duration=30, priority=3, by="liaison")

    assert "counterpart" in exc.value.message_dict
    assert not BilateralMeeting.objects.exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("duration", "priority", "field"),
    [
        pytest.param(10, 3, "duration_minutes", id="too_short"),
        pytest.param(181, 3, "duration_minutes", id="too_long"),
        pytest.param(30, 6, "priority", id="priority_too_high"),
    ],
)
def test_bilateral_request_out_of_range_values_save_nothing(cambodia, germany, duration, priority, field):
    with pytest.raises(ValidationError) as exc:
        bilateral_request(requester=cambodia, counterpart=germany, duration=duration, priority=priority, by="liaison")

    assert field in exc.value.message_dict
    assert not BilateralMeeting.objects.exists()


def test_bilateral_request_saves_meeting_windows_and_audit(cambodia, germany):
    user = UserFactory(username="liaison.khm")

    meeting = bilateral_request(
        requester=cambodia,
        counterpart=germany,
        duration=30,
        priority=4,
        by=user,
        subject="Trade",
        windows=[(at(0, "08:00"), at(0, "09:00")), (at(1, "14:00"), at(1, "16:00"))],
    )

    assert meeting.event == cambodia.event
    assert [(w.start, w.end) for w in meeting.windows.all()] == [
        (at(0, "08:00"), at(0, "09:00")),
        (at(1, "14:00"), at(1, "16:00")),
    ]
    actions = sorted(AuditEntry.objects.values_list("action", flat=True))
    assert actions == [
        "protocol.bilateral.requested",
        "protocol.bilateralwindow.created",
        "protocol.bilateralwindow.created",
    ]
    window_entries = AuditEntry.objects.filter(action="protocol.bilateralwindow.created")
    assert sorted(window_entries.values_list("object_id", flat=True)) == sorted(
        str(pk) for pk in meeting.windows.values_list("pk", flat=True)
    )
    requested = AuditEntry.objects.get(action="protocol.bilateral.requested")
    assert requested.actor == user
    assert requested.changes["subject"] == [None, "Trade"]


def test_bilateral_accept_then_schedule_places_meeting(cambodia, germany, room):
    meeting = bilateral_request(requester=cambodia, counterpart=germany, duration=45, priority=3, by="liaison")
    bilateral_accept(meeting=meeting, by="liaison")

    bilateral_schedule(meeting=meeting, room=room, start=at(0, "11:00"), by="protocol")

    stored = BilateralMeeting.objects.get(pk=meeting.pk)
    assert (stored.status, stored.room, stored.start, stored.end) == ("scheduled", room, at(0, "11:00"), at(0, "11:45"))
    scheduled = AuditEntry.objects.get(action="protocol.bilateral.scheduled")
    assert set(scheduled.changes) == {"status", "room", "start", "end"}
