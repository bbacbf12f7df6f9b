"""A delegation's programme and each member's, as the conflict engine sees them, and as iCalendar."""

from __future__ import annotations

import pytest
from icalendar import Calendar

from asemplanner.choices import Category
from events.models import Session
from planning.domain.programme import programme_for, programme_ics
from protocol.models import BilateralMeeting, ProtocolTask
from tests.factories import (
    BilateralMeetingFactory,
    DelegationFactory,
    EventFactory,
    PersonFactory,
    ProtocolTaskFactory,
    RoomFactory,
    SessionFactory,
    at,
)


@pytest.fixture
def summit(db):
    event = EventFactory(acronym="ASEM13")
    france, germany = DelegationFactory(event=event), DelegationFactory(event=event)
    heads = {}
    for delegation in (france, germany):
        heads[delegation.pk] = PersonFactory(delegation=delegation, category=Category.PRINCIPAL)
        delegation.head = heads[delegation.pk]
        delegation.save()
    press = PersonFactory(delegation=france, category=Category.MEDIA, given_name="Paule", family_name="Presse")
    room = RoomFactory(name="Plenary Hall")
    sessions = {
        "plenary": SessionFactory(event=event, room=room, audience=Session.Audience.HEADS, title="Plenary",
                                  start=at(0, "09:00"), end=at(0, "11:00")),
        "lunch": SessionFactory(event=event, room=room, audience=Session.Audience.ALL_DELEGATES, title="Lunch",
                                start=at(0, "12:00"), end=at(0, "13:00")),
        "briefing": SessionFactory(event=event, room=room, audience=Session.Audience.CATEGORY,
                                   audience_category="media", title="Press briefing", start=at(0, "14:00"),
                                   end=at(0, "14:30")),
        "cancelled": SessionFactory(event=event, room=room, audience=Session.Audience.HEADS, title="Cancelled",
                                    status=Session.Status.CANCELLED, start=at(1, "09:00"), end=at(1, "10:00")),
    }  # fmt: skip
    BilateralMeetingFactory(
        event=event, requester=france, counterpart=germany, status=BilateralMeeting.Status.SCHEDULED,
        room=RoomFactory(name="Bilateral Suite A"), start=at(0, "16:00"), end=at(0, "16:30"),
    )  # fmt: skip
    ProtocolTaskFactory(event=event, kind=ProtocolTask.Kind.AIRPORT_RECEPTION, title="Reception", person=press,
                        start=at(-1, "10:00"), end=at(-1, "11:00"))  # fmt: skip
    ProtocolTaskFactory(event=event, kind=ProtocolTask.Kind.SECURITY_SWEEP, title="Sweep before the press briefing",
                        person=press, start=at(0, "13:00"), end=at(0, "13:30"))  # fmt: skip
    return {"event": event, "france": france, "germany": germany, "heads": heads, "press": press, **sessions}


def test_the_delegation_programme_holds_what_its_members_attend(summit):
    items = programme_for(summit["france"])
    assert [item.title for item in items] == ["Reception", "Plenary", "Lunch", "Press briefing", items[-1].title]
    assert items[-1].key.startswith("bilateral:")
    assert items[2].attendees == tuple(sorted(p.full_name for p in summit["france"].members.all()))
    assert items[1].where.endswith("Plenary Hall")


def test_staff_work_around_a_member_stays_out_of_the_programme(summit):
    titles = [item.title for item in programme_for(summit["france"])]
    assert "Reception" in titles
    assert "Sweep before the press briefing" not in titles


def test_one_members_programme(summit):
    items = programme_for(summit["france"], person=summit["press"])
    assert [item.title for item in items] == ["Reception", "Lunch", "Press briefing"]


def test_the_calendar_parses_and_keeps_phnom_penh_time(summit):
    data = programme_ics(programme_for(summit["france"]), name="ASEM13 — France")
    calendar = Calendar.from_ical(data)
    events = calendar.walk("VEVENT")
    assert len(events) == 5
    assert {str(e["SUMMARY"]) for e in events} >= {"Plenary", "Lunch", "Press briefing"}
    plenary = next(e for e in events if str(e["SUMMARY"]) == "Plenary")
    assert plenary.decoded("DTSTART") == at(0, "09:00")
    assert plenary["DTSTART"].params["TZID"] == "Asia/Phnom_Penh"
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Asia/Phnom_Penh"
    assert len({str(e["UID"]) for e in events}) == 5  # one stable UID per commitment


def test_the_calendar_uid_is_stable_across_downloads(summit):
    first = Calendar.from_ical(programme_ics(programme_for(summit["france"]), name="x"))
    second = Calendar.from_ical(programme_ics(programme_for(summit["france"]), name="x"))
    assert [str(e["UID"]) for e in first.walk("VEVENT")] == [str(e["UID"]) for e in second.walk("VEVENT")]


def test_programme_query_count_is_fixed(summit, django_assert_num_queries):
    programme_for(summit["france"])
    for _ in range(5):
        SessionFactory(event=summit["event"], audience=Session.Audience.ALL_DELEGATES, start=at(1, "15:00"),
                       end=at(1, "16:00"))  # fmt: skip
    with django_assert_num_queries(9):
        programme_for(summit["france"])
