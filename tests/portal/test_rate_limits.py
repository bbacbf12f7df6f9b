"""The portal's writes are limited per signed-in user: above PLANNER_RATE_PORTAL_WRITE a 429 page with
Retry-After, nothing written; reads are not counted and another liaison is not limited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from delegations.models import Person
from tests.portal.test_members import member_data

pytestmark = pytest.mark.django_db


def test_writes_over_the_rate_get_429_and_change_nothing(client, summit, settings, time_machine):
    settings.PLANNER_RATE_PORTAL_WRITE = "2/m"
    time_machine.move_to(timezone.now(), tick=False)
    client.force_login(summit.liaison_a)
    add = reverse("portal:member_add", args=[summit.france.pk])
    head = reverse("portal:set_head", args=[summit.france.pk])
    # Every portal form counts towards one budget: one member added, one head chosen.
    assert client.post(add, member_data()).status_code == 302
    assert client.post(head, {"head": summit.member.pk}).status_code == 302
    people = Person.objects.filter(delegation=summit.france).count()

    refused = client.post(add, member_data(given_name="Paul", passport_number="20CD67890"))
    assert refused.status_code == 429
    wait = int(refused["Retry-After"])
    assert 1 <= wait <= 60
    page = " ".join(refused.content.decode().split())
    assert "at most 2 saved forms a minute" in page
    assert "was <strong>not saved</strong>" in page
    assert f"wait {wait} second" in page
    assert Person.objects.filter(delegation=summit.france).count() == people

    # Reading is not limited, and another liaison has a budget of their own.
    assert client.get(add).status_code == 200
    client.force_login(summit.liaison_b)
    other = client.post(reverse("portal:set_head", args=[summit.germany.pk]), {"head": summit.germany.head_id})
    assert other.status_code == 302

    # After Retry-After seconds the first liaison may write again.
    client.force_login(summit.liaison_a)
    time_machine.shift(dt.timedelta(seconds=wait))
    assert client.post(add, member_data(given_name="Paul", passport_number="20CD67890")).status_code == 302
    assert Person.objects.filter(delegation=summit.france).count() == people + 1


def test_the_import_confirm_is_limited_too(client, summit, settings):
    settings.PLANNER_RATE_PORTAL_WRITE = "1/m"
    client.force_login(summit.liaison_a)
    discard = reverse("portal:import_discard", args=[summit.france.pk, 999999])
    assert client.post(discard).status_code == 404  # counted, even though there is no such upload
    refused = client.post(reverse("portal:import_confirm", args=[summit.france.pk, 999999]))
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
