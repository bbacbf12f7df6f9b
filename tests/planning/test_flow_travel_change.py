"""Flow 1 of the design, end to end through the real paths: a liaison moves a principal's arrival in the portal →
the write commits → the follow-ups run (Celery tasks eager here: the broker is the outside boundary) → the
before-arrival clash is open, the reception and motorcade moved, the reminders of those tasks moved, and the
responsible staff told once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.urls import reverse

from asemplanner.choices import Category, Rank
from asemplanner.models import Notification
from config.celery import app as celery_app
from events.models import Conflict, Session, Venue
from planning.domain.conflict_triggers import SCHEDULED_FLAG
from protocol.domain.task_generation import SYSTEM_ACTOR, tasks_generate
from protocol.models import ProtocolTask, Team
from reminders.domain.subjects import Scope
from reminders.domain.sync import reminders_sync
from reminders.models import Reminder, ReminderRule
from tests.factories import (
    DelegationFactory,
    EventFactory,
    PartnerFactory,
    PersonFactory,
    ReminderRuleFactory,
    RoomFactory,
    SessionFactory,
    TeamFactory,
    TransferTimeFactory,
    TravelFactory,
    UserFactory,
    VenueFactory,
    at,
)
from tests.signin import sign_in


@pytest.fixture
def eager_celery():
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def summit(db):
    event = EventFactory(acronym="ASEM13")  # 16–17 Nov 2020
    airport = VenueFactory(name="PNH airport", short_name="PNH", kind=Venue.Kind.AIRPORT)
    hotel = VenueFactory(name="Sokha hotel", short_name="Sokha", kind=Venue.Kind.HOTEL)
    palace = VenueFactory(name="Peace Palace", short_name="Palace", kind=Venue.Kind.PALACE)
    TransferTimeFactory(from_venue=airport, to_venue=hotel, minutes=25)
    TransferTimeFactory(from_venue=hotel, to_venue=airport, minutes=35)
    TeamFactory(name="Reception A", kind=Team.Kind.RECEPTION)
    TeamFactory(name="Motorcade 1", kind=Team.Kind.MOTORCADE)
    france = DelegationFactory(event=event, partner=PartnerFactory(code="FRA", name="France"))
    president = PersonFactory(
        delegation=france, given_name="Emma", family_name="Leclerc", rank=Rank.HEAD_OF_STATE,
        category=Category.PRINCIPAL,
    )  # fmt: skip
    france.head = president
    france.save()
    liaison = UserFactory(username="liaison-fra", roles=["liaison"])
    france.liaisons.add(liaison)
    travel = TravelFactory(
        person=president, arrival_at=at(-1, "14:00"), arrival_airport=airport, departure_at=at(2, "10:00"),
        departure_airport=airport, hotel=hotel,
    )  # fmt: skip
    retreat = SessionFactory(
        event=event, room=RoomFactory(venue=palace, name="Hall A"), title="Leaders' retreat",
        start=at(0, "09:00"), end=at(0, "10:00"), audience=Session.Audience.HEADS,
    )  # fmt: skip
    protocol_staff = [UserFactory(username=f"protocol-{n}", is_staff=True, roles=["protocol"]) for n in (1, 2)]
    logistics = UserFactory(username="logistics-1", is_staff=True, roles=["logistics"])
    # Staff generated the event's tasks once, so travel changes keep them current; a rule reminds the
    # protocol role an hour before each protocol task.
    tasks_generate(event=event, by=SYSTEM_ACTOR)
    ReminderRuleFactory(
        event=event, what=ReminderRule.What.PROTOCOL_TASK, offset_minutes=-60, to_liaisons=False, to_role="protocol"
    )
    reminders_sync(scope=Scope(all=True), now=at(-30, "09:00"))
    return {
        "event": event, "france": france, "president": president, "liaison": liaison, "travel": travel,
        "retreat": retreat, "airport": airport, "hotel": hotel, "protocol": protocol_staff, "logistics": logistics,
    }  # fmt: skip


def _task(president, which: str) -> ProtocolTask:
    return ProtocolTask.objects.get(source_key=f"travel:{president.pk}:{which}")


def _reminder_due(task: ProtocolTask) -> list[dt.datetime]:
    pending = Reminder.objects.filter(subject_kind="task", subject_id=task.pk, status=Reminder.Status.PENDING)
    return sorted(set(pending.values_list("due_at", flat=True)))


def _land_at_eleven_next_morning(client, summit):
    """The liaison saves the president's travel form: the flight now lands on 16 November at 11:00."""
    return client.post(
        reverse("portal:member_travel", args=[summit["france"].pk, summit["president"].pk]),
        {
            "arrival_flight": "AF274",
            "arrival_at": "2020-11-16T11:00",
            "arrival_zone": "Asia/Phnom_Penh",
            "arrival_airport": summit["airport"].pk,
            "departure_flight": "AF275",
            "departure_at": "2020-11-18T10:00",
            "departure_zone": "Asia/Phnom_Penh",
            "departure_airport": summit["airport"].pk,
            "hotel": summit["hotel"].pk,
        },
    )


@pytest.mark.usefixtures("eager_celery")
@pytest.mark.django_db(transaction=True)
def test_liaison_moves_arrival_and_every_follow_up_happens(client, summit, settings):
    settings.PLANNER_CONFLICT_CHECK_DELAY = 0
    cache.delete(SCHEDULED_FLAG)
    president = summit["president"]
    reception, motorcade = _task(president, "reception"), _task(president, "motorcade-arrival")
    assert reception.start == at(-1, "13:30")
    assert _reminder_due(reception) == [at(-1, "12:30")]
    assert not Conflict.objects.filter(kind=Conflict.Kind.BEFORE_ARRIVAL).exists()

    # The flight lands the next morning at 11:00, after the retreat has begun.
    sign_in(client, summit["liaison"])
    response = _land_at_eleven_next_morning(client, summit)
    assert response.status_code == 302, response.content.decode()[:2000]

    # The clash opened, for the president and the retreat.
    clash = Conflict.objects.get(kind=Conflict.Kind.BEFORE_ARRIVAL, status=Conflict.Status.OPEN)
    assert clash.resource == f"person:{president.pk}"
    assert f"session:{summit['retreat'].pk}" in {clash.first, clash.second}
    # The reception and the motorcade moved with the flight.
    reception.refresh_from_db()
    motorcade.refresh_from_db()
    assert reception.start == at(0, "10:30")
    assert motorcade.start > reception.start
    assert motorcade.start.date() == dt.date(2020, 11, 16)
    # The reminder of the reception moved with it (an hour before).
    assert _reminder_due(reception) == [at(0, "09:30")]
    # The protocol role (responsible for before-arrival clashes) was told once each; logistics was not.
    notices = Notification.objects.filter(topic=f"conflict:{clash.fingerprint}")
    assert sorted(notices.values_list("recipient__username", flat=True)) == ["protocol-1", "protocol-2"]
    assert not Notification.objects.filter(recipient=summit["logistics"]).exists()

    # Saving the same travel again changes nothing and tells nobody twice.
    _land_at_eleven_next_morning(client, summit)
    assert Notification.objects.filter(topic=f"conflict:{clash.fingerprint}").count() == 2
    assert Conflict.objects.filter(kind=Conflict.Kind.BEFORE_ARRIVAL).count() == 1
