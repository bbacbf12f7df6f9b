"""A name with characters no shipped font covers is accepted, and accreditation staff are told before printing:
which person, which field, which characters. The badge prints without that line (tests/badges/test_scripts_pdf.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from asemplanner.models import Notification
from badges.domain.printability import unprintable_names
from delegations.domain.delegations import person_update
from tests.factories import UserFactory
from tests.signin import sign_in

pytestmark = pytest.mark.django_db
PRIVATE = "\U000f0001"  # a private-use character: no font has it
UNASSIGNED = "\U0003fffd"


@pytest.fixture
def accreditation_staff(summit):
    group = Group.objects.get(name="accreditation")
    staff = UserFactory(username="accr", is_staff=True)
    staff.groups.add(group)
    return staff


def test_a_name_no_font_prints_is_kept_and_accreditation_is_told_once(
    summit, accreditation_staff, django_capture_on_commit_callbacks
):
    person = summit["badges"][0].person
    with django_capture_on_commit_callbacks(execute=True):
        person_update(person=person, native_name=f"ជា {PRIVATE}", by="test")
    person.refresh_from_db()
    assert person.native_name == f"ជា {PRIVATE}"  # accepted
    notice = Notification.objects.get(recipient=accreditation_staff)
    assert str(person) in notice.title
    assert "Name in own script holds characters no font of the planner covers" in notice.body
    assert "U+F0001" in notice.body
    assert notice.link == reverse("admin:badges_unprintable")
    # The same characters saved again tell nobody twice; a name every font prints tells nobody.
    with django_capture_on_commit_callbacks(execute=True):
        person_update(person=person, function="Prime Minister", by="test")
        person_update(person=summit["badges"][1].person, native_name="សុខ ដារា 张伟", by="test")
    assert Notification.objects.filter(recipient=accreditation_staff).count() == 1


def test_the_list_names_person_field_and_characters(summit):
    person = summit["badges"][2].person
    person_update(person=person, native_name=f"名{UNASSIGNED}", family_name="Nguyễn", by="test")
    items = unprintable_names()
    assert [(item.person_id, item.field, item.characters) for item in items] == [
        (person.pk, "name in own script", [UNASSIGNED])
    ]
    assert "U+3FFFD" in items[0].described


def test_the_page_is_for_those_who_see_accreditations(client, summit, accreditation_staff):
    person = summit["badges"][0].person
    person_update(person=person, native_name=PRIVATE, by="test")
    sign_in(client, accreditation_staff)
    page = client.get(reverse("admin:badges_unprintable")).content.decode()
    assert reverse("admin:delegations_person_change", args=[person.pk]) in page
    assert "U+F0001" in page
    logistics = UserFactory(username="logi", is_staff=True)
    logistics.groups.add(Group.objects.get(name="logistics"))
    sign_in(client, logistics)
    assert client.get(reverse("admin:badges_unprintable")).status_code == 403
