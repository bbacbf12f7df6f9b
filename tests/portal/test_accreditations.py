"""Accreditation requests for the summit and its side events, and withdrawing one not yet answered."""

from __future__ import annotations

from django.urls import reverse

from delegations.models import Accreditation
from tests.factories import AccreditationFactory, SideEventFactory


def test_requesting_side_event_accreditations_for_several_members(liaison_a, summit):
    people = [summit.member.pk, summit.france.head_id]
    response = liaison_a.post(
        reverse("portal:accreditations", args=[summit.france.pk]), {"event": summit.side.pk, "people": people}
    )
    assert response.status_code == 302
    rows = {(a.person_id, a.category, a.status) for a in Accreditation.objects.filter(event=summit.side)}
    assert rows == {(summit.france.head_id, "principal", "requested"), (summit.member.pk, "delegate", "requested")}


def test_a_duplicate_request_refuses_the_whole_batch(liaison_a, summit):
    AccreditationFactory(person=summit.member, event=summit.side)
    response = liaison_a.post(
        reverse("portal:accreditations", args=[summit.france.pk]),
        {"event": summit.side.pk, "people": [summit.france.head_id, summit.member.pk]},
    )
    assert response.status_code == 200
    (message,) = response.context["form"].non_field_errors()
    assert "Jean Martin" in message and "already has an accreditation for this event" in message
    assert Accreditation.objects.filter(event=summit.side).count() == 1  # the head's was not kept either


def test_only_the_summit_and_its_side_events_are_offered(liaison_a, summit):
    stranger = SideEventFactory(acronym="OTHER")  # a side event of another summit
    response = liaison_a.post(
        reverse("portal:accreditations", args=[summit.france.pk]), {"event": stranger.pk, "people": [summit.member.pk]}
    )
    assert "event" in response.context["form"].errors
    assert not Accreditation.objects.exists()


def test_withdrawing_a_waiting_request_and_not_an_approved_one(liaison_a, summit):
    waiting = AccreditationFactory(person=summit.member, event=summit.side)
    approved = AccreditationFactory(
        person=summit.france.head, event=summit.event, status="approved", badge_number="ASEM13-000009"
    )
    withdraw = "portal:accreditation_withdraw"
    liaison_a.post(reverse(withdraw, args=[summit.france.pk, waiting.pk]))
    response = liaison_a.post(reverse(withdraw, args=[summit.france.pk, approved.pk]), follow=True)
    assert not Accreditation.objects.filter(pk=waiting.pk).exists()
    assert Accreditation.objects.filter(pk=approved.pk, status="approved").exists()
    assert "Only a request waiting for approval can be withdrawn" in response.content.decode()


def test_another_delegations_member_cannot_be_slipped_into_the_request(liaison_a, summit):
    response = liaison_a.post(
        reverse("portal:accreditations", args=[summit.france.pk]),
        {"event": summit.side.pk, "people": [summit.germany.head_id]},
    )
    assert response.status_code == 200
    assert "people" in response.context["form"].errors
    assert not Accreditation.objects.filter(person=summit.germany.head).exists()
