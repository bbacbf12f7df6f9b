"""A liaison marks their own delegation's flights on the travel page (portal:member_flight): landed, delayed with
a new time, at the hotel; the same rules as the staff's; never another delegation's people."""

from __future__ import annotations

import pytest
from django.urls import reverse

from asemplanner.models import AuditEntry
from delegations.models import Travel
from tests.factories import PersonFactory, TravelFactory, at
from tests.signin import sign_in


@pytest.fixture
def travels(summit):
    """France's head and Jean Martin on AF274 (15 Nov 14:00); Germany's head on the same plane."""
    head, member, german = summit.france.head, summit.member, summit.germany.head
    return {
        "head": TravelFactory(person=head, arrival_flight="AF274", arrival_airport=summit.airport),
        "member": TravelFactory(person=member, arrival_flight="AF274", arrival_airport=summit.airport),
        "german": TravelFactory(person=german, arrival_flight="AF274", arrival_airport=summit.airport),
    }


def flight_url(summit, person) -> str:
    return reverse("portal:member_flight", args=[summit.france.pk, person.pk])


def fresh(travel: Travel) -> Travel:
    return Travel.objects.get(pk=travel.pk)


def test_the_travel_page_shows_the_status_and_the_buttons(liaison_a, summit, travels):
    html = liaison_a.get(reverse("portal:member_travel", args=[summit.france.pk, summit.member.pk])).content.decode()
    assert "On the day: flight status" in html
    assert "Arrival: AF274, 15 Nov 2020 14:00 — <strong>On schedule</strong>" in html
    assert 'name="status" value="landed"' in html and 'name="status" value="delayed"' in html
    assert 'name="status" value="at_hotel"' not in html  # not before landing


def test_delayed_with_a_new_time_moves_the_delegations_party_only(liaison_a, summit, travels):
    response = liaison_a.post(
        flight_url(summit, summit.member),
        {"leg": "arrival", "status": "delayed", "at": "2020-11-15T17:25"},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [
        f"{summit.member} and 1 more on the same flight: arrival delayed (15 Nov 2020 17:25). Protocol sees it now."
    ]
    for name in ("head", "member"):
        assert (fresh(travels[name]).arrival_status, fresh(travels[name]).arrival_at) == ("delayed", at(-1, "17:25"))
    # Germany's head is on the same plane, but France's liaison speaks for France only.
    assert (fresh(travels["german"]).arrival_status, fresh(travels["german"]).arrival_at) == (
        "scheduled",
        at(-1, "14:00"),
    )
    entry = AuditEntry.objects.get(action="delegations.travel.flight_status", object_id=str(travels["member"].pk))
    assert entry.actor == summit.liaison_a


def test_landed_then_at_the_hotel(liaison_a, summit, travels):
    liaison_a.post(flight_url(summit, summit.member), {"leg": "arrival", "status": "landed", "at": "2020-11-15T13:50"})
    liaison_a.post(flight_url(summit, summit.member), {"leg": "arrival", "status": "at_hotel"})
    assert {fresh(travels[n]).arrival_status for n in ("head", "member")} == {"at_hotel"}
    assert fresh(travels["member"]).arrival_at == at(-1, "13:50")


def test_a_refusal_comes_back_on_the_page_naming_the_field(liaison_a, summit, travels):
    response = liaison_a.post(flight_url(summit, summit.member), {"leg": "arrival", "status": "delayed", "at": ""})
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        "Time (Phnom Penh)</a>: A delayed arrival needs its new time: enter the expected time of the arrival "
        "(Phnom Penh time)." in html
    )
    assert fresh(travels["member"]).arrival_status == "scheduled"


def test_at_hotel_before_landing_is_refused(liaison_a, summit, travels):
    response = liaison_a.post(flight_url(summit, summit.member), {"leg": "arrival", "status": "at_hotel"})
    assert "Only a landed arrival can be at the hotel; this one is on schedule. Mark it landed first." in (
        response.content.decode()
    )


def test_putting_back_on_schedule_is_for_staff(liaison_a, summit, travels):
    response = liaison_a.post(flight_url(summit, summit.member), {"leg": "arrival", "status": "scheduled"})
    assert "A liaison marks an arrival delayed, landed, at hotel." in response.content.decode()
    assert not AuditEntry.objects.filter(action="delegations.travel.flight_status").exists()


def test_another_delegations_person_is_not_found(client, summit, travels):
    sign_in(client, summit.liaison_b)  # Germany's liaison, on France's member
    data = {"leg": "arrival", "status": "landed", "at": "2020-11-15T13:50"}
    assert client.post(flight_url(summit, summit.member), data).status_code == 404
    # Germany's own delegation id with France's person: not found either.
    url = reverse("portal:member_flight", args=[summit.germany.pk, summit.member.pk])
    assert client.post(url, data).status_code == 404
    assert fresh(travels["member"]).arrival_status == "scheduled"


def test_a_member_without_travel_is_told_to_save_it_first(liaison_a, summit):
    person = PersonFactory(delegation=summit.france, family_name="Durand")
    response = liaison_a.post(flight_url(summit, person), {"leg": "arrival", "status": "landed"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        f"No travel is on file for {person}: save the flights first."
    ]
