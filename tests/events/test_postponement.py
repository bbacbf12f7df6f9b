"""Postponing an event moves it whole, audited, all or nothing; staff do it from the event list."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from asemplanner.models import AuditEntry
from events.domain.postponement import event_postpone
from events.models import Event, Session
from protocol.models import BilateralMeeting
from tests.factories import (
    BilateralMeetingFactory,
    DeadlineFactory,
    EventFactory,
    ProtocolTaskFactory,
    RoomFactory,
    SessionFactory,
    UserFactory,
    at,
)

pytestmark = pytest.mark.django_db
NEW_START = dt.date(2021, 3, 1)
SHIFT = NEW_START - dt.date(2020, 11, 16)


@pytest.fixture
def summit():
    event = EventFactory(acronym="ASEM13")
    room = RoomFactory()
    sessions = [
        SessionFactory(event=event, room=room, start=at(0, "09:00"), end=at(0, "10:00")),
        SessionFactory(event=event, room=room, start=at(1, "09:00"), end=at(1, "10:00")),
    ]
    meeting = BilateralMeetingFactory(
        event=event, status=BilateralMeeting.Status.SCHEDULED, room=RoomFactory(), start=at(0, "15:00"),
        end=at(0, "15:30"),
    )  # fmt: skip
    task = ProtocolTaskFactory(event=event)
    deadline = DeadlineFactory(event=event)
    return {"event": event, "room": room, "sessions": sessions, "meeting": meeting, "task": task, "deadline": deadline}


def test_postponing_moves_everything_dated_in_the_event(summit):
    result = event_postpone(event=summit["event"], start_date=NEW_START, by="test")
    event = Event.objects.get()
    assert (event.start_date, event.end_date, event.status) == (
        NEW_START,
        NEW_START + dt.timedelta(days=1),
        "postponed",
    )
    assert result.moved == {
        "sessions": 2, "bilaterals": 1, "bilateral windows": 0, "protocol tasks": 1, "deadlines": 1,
    }  # fmt: skip
    starts = sorted(Session.objects.values_list("start", flat=True))
    assert starts == [at(0, "09:00") + SHIFT, at(1, "09:00") + SHIFT]
    summit["meeting"].refresh_from_db()
    summit["deadline"].refresh_from_db()
    assert summit["meeting"].start == at(0, "15:00") + SHIFT
    assert summit["deadline"].due_at == at(-21, "17:00") + SHIFT
    assert AuditEntry.objects.filter(action="events.event.postponed").count() == 1
    assert AuditEntry.objects.filter(action="events.session.changed").count() == 2


def test_postponing_by_one_day_does_not_trip_over_its_own_sessions(summit):
    # Day 0 moves onto day 1's slot in the same room while day 1 is still there: no false clash.
    event_postpone(event=summit["event"], start_date=dt.date(2020, 11, 17), by="test")
    assert sorted(Session.objects.values_list("start", flat=True)) == [at(1, "09:00"), at(2, "09:00")]


def test_postponing_onto_another_events_booking_changes_nothing(summit):
    other = EventFactory(acronym="OTHER", start_date=NEW_START, end_date=NEW_START + dt.timedelta(days=1))
    SessionFactory(
        event=other, room=summit["room"], start=at(0, "09:30") + SHIFT, end=at(0, "10:30") + SHIFT, title="Blocker"
    )
    with pytest.raises(ValidationError) as info:
        event_postpone(event=summit["event"], start_date=NEW_START, by="test")
    assert "Blocker" in " ".join(info.value.messages)
    assert Event.objects.get(acronym="ASEM13").start_date == dt.date(2020, 11, 16)
    assert not AuditEntry.objects.filter(action="events.event.postponed").exists()


def test_postponing_to_the_same_day_is_refused(summit):
    with pytest.raises(ValidationError, match="already starts"):
        event_postpone(event=summit["event"], start_date=dt.date(2020, 11, 16), by="test")


class TestAdminAction:
    @pytest.fixture
    def staff(self, client):
        client.force_login(UserFactory(username="boss", roles=["admin"]))
        return client

    def post(self, client, ids, **data):
        return client.post(
            "/admin/events/event/", {"action": "postpone_selected", "_selected_action": ids, **data}, follow=True
        )

    def test_asks_for_the_new_first_day(self, staff, summit):
        page = self.post(staff, [summit["event"].pk]).content.decode()
        assert "New first day" in page
        assert Event.objects.get().start_date == dt.date(2020, 11, 16)

    def test_postpones_and_says_what_moved(self, staff, summit):
        page = self.post(staff, [summit["event"].pk], apply="1", start_date="2021-03-01").content.decode()
        assert "ASEM13 now runs 1 Mar 2021–2 Mar 2021" in page
        assert "2 sessions" in page
        assert Event.objects.get().start_date == NEW_START

    def test_same_day_is_refused_on_the_form(self, staff, summit):
        page = self.post(staff, [summit["event"].pk], apply="1", start_date="2020-11-16").content.decode()
        assert "already starts on 16 Nov 2020" in page

    def test_needs_exactly_one_event(self, staff, summit):
        other = EventFactory(acronym="OTHER")
        page = self.post(staff, [summit["event"].pk, other.pk]).content.decode()
        assert "Select exactly one event" in page

    def test_roles_without_change_permission_cannot_postpone(self, client, summit):
        client.force_login(UserFactory(username="guard", roles=["security"]))
        listing = client.get("/admin/events/event/")
        form = listing.context["action_form"]
        assert form is None or "postpone_selected" not in dict(form.fields["action"].choices)
        self.post(client, [summit["event"].pk], apply="1", start_date="2021-03-01")
        assert Event.objects.get().start_date == dt.date(2020, 11, 16)


def test_changing_event_dates_under_its_programme_is_refused_and_points_to_postpone(summit):
    event = summit["event"]
    event.start_date, event.end_date = NEW_START, NEW_START + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as info:
        event.full_clean()
    message = info.value.message_dict["start_date"][0]
    assert "2 session(s) of ASEM13 would fall outside" in message
    assert "Postpone" in message


def test_widening_event_dates_is_fine(summit):
    event = summit["event"]
    event.end_date = dt.date(2020, 11, 18)
    event.full_clean()


@pytest.mark.parametrize("status", [Event.Status.CANCELLED, Event.Status.HELD])
def test_a_cancelled_or_held_event_cannot_be_postponed(summit, status):
    Event.objects.filter(pk=summit["event"].pk).update(status=status)
    summit["event"].refresh_from_db()
    with pytest.raises(ValidationError, match="only planned, confirmed or postponed"):
        event_postpone(event=summit["event"], start_date=NEW_START, by="test")
    assert Event.objects.get().start_date == dt.date(2020, 11, 16)
