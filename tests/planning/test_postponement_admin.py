"""The postponement page: choose the event (or the summit with its side events) and the shift, preview the
impact (nothing written), confirm (audited, one notice per liaison); only for `events.change_event`."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from asemplanner.models import AuditEntry
from events.models import Conflict, Event, Session
from tests.factories import EventFactory, RoomFactory, SessionFactory, SideEventFactory, UserFactory, at
from tests.signin import sign_in

pytestmark = pytest.mark.django_db
URL = "/admin/events/postpone/"


@pytest.fixture
def plan():
    summit = EventFactory(acronym="ASEM13")
    som = SideEventFactory(
        acronym="SOM", parent=summit, start_date=dt.date(2020, 11, 14), end_date=dt.date(2020, 11, 15)
    )
    room = RoomFactory()
    SessionFactory(event=summit, room=room, start=at(0, "09:00"), end=at(0, "10:00"), title="Plenary")
    SessionFactory(event=som, room=room, start=at(-2, "10:00"), end=at(-2, "11:00"), title="SOM opening")
    return {"summit": summit, "som": som, "room": room}


@pytest.fixture
def staff(client):
    sign_in(client, UserFactory(username="boss", roles=["admin"]))
    return client


def test_the_event_list_action_leads_to_the_page(staff, plan):
    response = staff.post(
        "/admin/events/event/", {"action": "postpone_selected", "_selected_action": [plan["summit"].pk]}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?event={plan['summit'].pk}"
    page = staff.get(response["Location"]).content.decode()
    assert f'<option value="{plan["summit"].pk}" selected>' in page
    assert 'id="id_include_side_events" checked' in page


def test_the_action_needs_exactly_one_event(staff, plan):
    page = staff.post(
        "/admin/events/event/",
        {"action": "postpone_selected", "_selected_action": [plan["summit"].pk, plan["som"].pk]},
        follow=True,
    ).content.decode()
    assert "Select exactly one event" in page


def test_preview_shows_the_impact_and_writes_nothing(staff, plan):
    audits = AuditEntry.objects.count()
    data = {"event": plan["summit"].pk, "include_side_events": "on", "days": "7", "preview": "1"}
    page = staff.post(URL, data).content.decode()
    assert "Impact of moving by 7 day(s)" in page
    assert "<li>3 events</li>" not in page and "<li>2 events</li>" in page
    assert "<li>2 sessions</li>" in page
    assert "Plenary" in page and "16 Nov 2020 09:00" in page and "23 Nov 2020 09:00" in page
    assert 'name="confirm"' in page
    assert AuditEntry.objects.count() == audits
    assert Event.objects.get(acronym="ASEM13").start_date == dt.date(2020, 11, 16)


def test_confirm_applies_and_says_so(staff, plan):
    data = {"event": plan["summit"].pk, "include_side_events": "on", "start_date": "2020-11-23", "confirm": "1"}
    page = staff.post(URL, data, follow=True).content.decode()
    assert "Postponement done: ASEM13 now runs 23 Nov 2020–24 Nov 2020; SOM now runs 21 Nov 2020–22 Nov 2020" in page
    assert dict(Event.objects.values_list("acronym", "start_date")) == {
        "ASEM13": dt.date(2020, 11, 23), "SOM": dt.date(2020, 11, 21),
    }  # fmt: skip
    assert Session.objects.get(title="SOM opening").start == at(5, "10:00")
    assert AuditEntry.objects.filter(action="events.event.postponed", actor_name="boss").count() == 1


def test_blocking_problems_hide_confirm_and_a_forced_confirm_is_refused(staff, plan):
    other = EventFactory(acronym="OTHER", start_date=dt.date(2020, 11, 23), end_date=dt.date(2020, 11, 24))
    SessionFactory(event=other, room=plan["room"], start=at(7, "09:30"), end=at(7, "10:30"), title="Blocker")
    data = {"event": plan["summit"].pk, "include_side_events": "on", "days": "7"}
    page = staff.post(URL, {**data, "preview": "1"}).content.decode()
    assert "Blocking problems (1)" in page and "Blocker" in page
    assert "New conflicts (1)" in page and f"<td>{Conflict.Kind.ROOM_DOUBLE_BOOKED.label}</td>" in page
    assert 'name="confirm"' not in page
    page = staff.post(URL, {**data, "confirm": "1"}).content.decode()
    assert "refused: 1 problem(s)" in page and "Move or cancel the other booking first" in page
    assert Event.objects.get(acronym="ASEM13").start_date == dt.date(2020, 11, 16)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"days": "0"}, "A shift of 0 days moves nothing"),
        ({"days": "400"}, "less than or equal to 365"),
        ({}, "Give either a number of days or a new first day"),
        ({"days": "3", "start_date": "2020-11-20"}, "Give either a number of days or a new first day"),
    ],
    ids=["zero", "too_far", "neither", "both"],
)
def test_bad_shifts_are_explained_on_the_form(staff, plan, data, message):
    page = staff.post(URL, {"event": plan["summit"].pk, "preview": "1", **data}).content.decode()
    assert message in page
    assert "Impact of moving" not in page


def test_roles_without_change_permission_cannot_use_the_page(client, plan):
    sign_in(client, UserFactory(username="guard", roles=["security"]))
    assert client.get(URL).status_code == 403
    data = {"event": plan["summit"].pk, "include_side_events": "on", "days": "7", "confirm": "1"}
    assert client.post(URL, data).status_code == 403
    assert Event.objects.get(acronym="ASEM13").start_date == dt.date(2020, 11, 16)


def test_anonymous_is_sent_to_login(client, plan):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_confirm_needs_csrf(plan):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    sign_in(client, UserFactory(username="boss2", roles=["admin"]))
    data = {"event": plan["summit"].pk, "days": "7", "confirm": "1"}
    assert client.post(URL, data).status_code == 403
    assert Event.objects.get(acronym="ASEM13").start_date == dt.date(2020, 11, 16)


def test_preview_page_query_count_does_not_grow(staff, plan):
    data = {"event": plan["summit"].pk, "include_side_events": "on", "days": "7", "preview": "1"}

    def count():
        with CaptureQueriesContext(connection) as queries:
            staff.post(URL, data)
        return len(queries)

    small = count()
    room = RoomFactory()
    for hour in range(7, 22):
        SessionFactory(event=plan["summit"], room=room, start=at(1, f"{hour:02d}:00"), end=at(1, f"{hour:02d}:30"))
    assert count() == small
