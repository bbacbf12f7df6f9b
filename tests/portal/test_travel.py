"""Travel through the portal: times with their time zone, arrival before departure, within the event window."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from delegations.models import Travel

PHNOM_PENH = ZoneInfo("Asia/Phnom_Penh")


def travel_data(summit, **changes) -> dict:
    data = {
        "arrival_flight": "pg931",
        "arrival_at": "2020-11-15T14:30",
        "arrival_zone": "Asia/Phnom_Penh",
        "arrival_airport": summit.airport.pk,
        "departure_flight": "PG 932",
        "departure_at": "2020-11-18T10:00",
        "departure_zone": "Asia/Phnom_Penh",
        "departure_airport": summit.airport.pk,
        "hotel": summit.hotel.pk,
    }
    return data | changes


def url(summit, person=None) -> str:
    return reverse("portal:member_travel", args=[summit.france.pk, (person or summit.member).pk])


def test_travel_is_saved_in_phnom_penh_time(liaison_a, summit):
    assert liaison_a.post(url(summit), travel_data(summit)).status_code == 302
    travel = Travel.objects.get(person=summit.member)
    assert travel.arrival_flight == "PG931"
    assert travel.arrival_at == dt.datetime(2020, 11, 15, 14, 30, tzinfo=PHNOM_PENH)
    assert travel.hotel == summit.hotel


def test_a_time_entered_in_another_zone_is_converted(liaison_a, summit):
    data = travel_data(summit, arrival_at="2020-11-15T08:30", arrival_zone="Europe/Paris")
    assert liaison_a.post(url(summit), data).status_code == 302
    travel = Travel.objects.get(person=summit.member)
    assert travel.arrival_at == dt.datetime(2020, 11, 15, 14, 30, tzinfo=PHNOM_PENH)  # Paris is UTC+1 in November
    page = liaison_a.get(url(summit)).content.decode()
    assert 'value="2020-11-15T14:30"' in page  # shown back in Phnom Penh time


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        pytest.param({"departure_at": "2020-11-15T10:00"}, "departure_at", "not after its start", id="departs_first"),
        pytest.param({"arrival_at": "2020-10-01T10:00"}, "arrival_at", "outside the travel window", id="too_early"),
        pytest.param({"departure_at": "2020-12-24T10:00"}, "departure_at", "outside the travel window", id="too_late"),
        pytest.param({"arrival_flight": "Air Force One"}, "arrival_flight", "flight number such as", id="bad_flight"),
        pytest.param({"hotel": 999999}, "hotel", "Select a valid choice", id="unknown_hotel"),
        pytest.param({"arrival_zone": "Mars/Olympus"}, "arrival_zone", "Select a valid choice", id="unknown_zone"),
        pytest.param(
            {"departure_at": "2020-03-29T02:30", "departure_zone": "Europe/Paris"},
            "departure_at",
            "does not exist",
            id="time_skipped_by_summer_time",
        ),
        pytest.param(
            {"departure_at": "2020-10-25T02:30", "departure_zone": "Europe/Paris"},
            "departure_at",
            "happens twice",
            id="time_repeated_by_winter_time",
        ),
    ],
)
def test_bad_travel_is_refused_on_its_field(liaison_a, summit, changes, field, expected):
    response = liaison_a.post(url(summit), travel_data(summit, **changes))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any(expected in message for message in errors[field]), errors
    assert not Travel.objects.filter(person=summit.member).exists()


def test_side_events_widen_the_travel_window(liaison_a, summit):
    """AEBF starts on 14 Nov: arriving on 11 Nov (3 days before it) is fine for the summit's delegation."""
    data = travel_data(summit, arrival_at="2020-11-11T09:00")
    assert liaison_a.post(url(summit), data).status_code == 302


def test_the_same_travel_for_members_travelling_together(liaison_a, summit):
    head = summit.france.head
    data = travel_data(summit) | {"also_for": [head.pk]}
    assert liaison_a.post(url(summit), data).status_code == 302
    assert Travel.objects.get(person=head).arrival_flight == "PG931"
    assert Travel.objects.get(person=summit.member).arrival_flight == "PG931"


def test_companions_come_from_the_own_delegation_only(liaison_a, summit):
    data = travel_data(summit) | {"also_for": [summit.germany.head.pk]}
    response = liaison_a.post(url(summit), data)
    assert response.status_code == 200
    assert "also_for" in response.context["form"].errors
    assert not Travel.objects.exists()
