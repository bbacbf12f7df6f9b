"""The reminders page: a liaison sees their own delegations' deadlines, what is missing, and their inbox."""

from __future__ import annotations

import pytest

from asemplanner.models import Notification
from tests.factories import DelegationFactory, PersonFactory, UserFactory
from tests.signin import sign_in


@pytest.fixture
def liaison_client(client, summit):
    sign_in(client, summit["liaison"])
    return client


def test_liaison_sees_deadlines_with_what_is_missing(liaison_client, summit):
    response = liaison_client.get("/inbox/")
    page = response.content.decode()
    assert str(summit["delegation"]) in page
    assert "Passport data" in page
    assert "passport data for 1 of 1 members: Jean Martin" in page
    assert "overdue" in page  # 26 Oct 2020 has long passed


def test_liaison_does_not_see_other_delegations(liaison_client, summit):
    other = DelegationFactory(event=summit["event"])
    PersonFactory(delegation=other, given_name="Secret", family_name="Person")
    page = liaison_client.get("/inbox/").content.decode()
    assert str(other) not in page
    assert "Secret Person" not in page


def test_inbox_lists_own_notices_and_marks_them_read(liaison_client, summit):
    Notification.objects.create(recipient=summit["liaison"], topic="reminder:1", title="Passports due soon")
    Notification.objects.create(recipient=UserFactory(), topic="reminder:2", title="Someone else's notice")
    page = liaison_client.get("/inbox/").content.decode()
    assert "Passports due soon" in page
    assert "(1 new)" in page
    assert "Someone else" not in page
    liaison_client.post("/inbox/read/")
    assert Notification.objects.get(topic="reminder:1").read_at is not None
    assert Notification.objects.get(topic="reminder:2").read_at is None


def test_anonymous_visitor_is_sent_to_sign_in(client, db):
    response = client.get("/inbox/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/inbox/")


def test_home_sends_liaisons_to_their_page_and_staff_to_the_admin(client, summit):
    sign_in(client, summit["liaison"])
    assert client.get("/")["Location"] == "/portal/"
    sign_in(client, UserFactory(username="boss", roles=["admin"]))
    assert client.get("/")["Location"] == "/admin/"


def test_mark_read_needs_post(liaison_client):
    assert liaison_client.get("/inbox/read/").status_code == 405


def test_inbox_query_count_does_not_grow(liaison_client, summit, django_assert_max_num_queries):
    for n in range(10):
        Notification.objects.create(recipient=summit["liaison"], topic=f"t{n}", title=f"n{n}")
        delegation = DelegationFactory(event=summit["event"])
        delegation.liaisons.add(summit["liaison"])
        PersonFactory(delegation=delegation)
    with django_assert_max_num_queries(9):  # readiness reads members, travel and accreditations: 3 queries
        liaison_client.get("/inbox/")
