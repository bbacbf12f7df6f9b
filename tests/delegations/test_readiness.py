"""A delegation's readiness: what is missing for each deadline, naming people, and how close it is to 100%."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile

from delegations.domain.readiness import readiness_for, readiness_for_delegations
from delegations.models import Accreditation
from tests.delegations.images import jpeg_bytes
from tests.factories import AccreditationFactory, DelegationFactory, PersonFactory, TravelFactory, VenueFactory


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def complete(person, hotel) -> None:
    """Give a member everything the organisers ask for."""
    person.photo.save("p.jpg", ContentFile(jpeg_bytes()), save=False)
    person.passport_number, person.passport_expiry = "X123", dt.date(2030, 1, 1)
    person.save()
    TravelFactory(person=person, hotel=hotel)
    AccreditationFactory(person=person, event=person.delegation.event)


def test_an_empty_delegation_lacks_its_member_list(db):
    readiness = readiness_for(DelegationFactory())
    assert readiness.items["members"].missing == "the member list: no members entered yet"
    assert readiness.percent == 0
    assert not readiness.complete


def test_readiness_names_who_lacks_what(db):
    delegation = DelegationFactory()
    hotel = VenueFactory(kind="hotel")
    done = PersonFactory(delegation=delegation, given_name="Anna", family_name="Alpha")
    complete(done, hotel)
    PersonFactory(delegation=delegation, given_name="Bruno", family_name="Beta")
    delegation.head = done
    delegation.save()

    readiness = readiness_for(delegation)

    assert readiness.items["members"].complete
    for kind, label in [
        ("photos", "a photo"),
        ("passports", "passport data"),
        ("travel", "arrival and departure"),
        ("hotel", "a hotel"),
        ("accreditations", "an accreditation request"),
    ]:
        item = readiness.items[kind]
        assert item.missing == f"{label} for 1 of 2 members: Bruno Beta"
        assert (item.done, item.total, item.percent) == (1, 2, 50)
        assert [p.full_name for p in item.lacking] == ["Bruno Beta"]
    assert readiness.percent == (100 + 5 * 50) // 6


def test_readiness_is_100_only_when_everything_is_in(db):
    delegation = DelegationFactory()
    hotel = VenueFactory(kind="hotel")
    people = [PersonFactory(delegation=delegation) for _ in range(3)]
    for person in people:
        complete(person, hotel)
    readiness = readiness_for(delegation)
    assert readiness.items["members"].missing == "the head of delegation: none chosen among the members"
    assert readiness.percent < 100
    delegation.head = people[0]
    delegation.save()
    readiness = readiness_for(delegation)
    assert readiness.complete
    assert readiness.percent == 100


def test_a_revoked_accreditation_is_not_a_request(db):
    person = PersonFactory()
    AccreditationFactory(person=person, status=Accreditation.Status.REVOKED, badge_number="X-1", revoked_reason="r")
    assert not readiness_for(person.delegation).items["accreditations"].complete


def test_readiness_of_many_delegations_takes_three_queries(db, django_assert_num_queries):
    delegations = [DelegationFactory() for _ in range(5)]
    for delegation in delegations:
        for _ in range(3):
            TravelFactory(person=PersonFactory(delegation=delegation))
    with django_assert_num_queries(3):
        result = readiness_for_delegations({d.pk for d in delegations})
    assert set(result) == {d.pk for d in delegations}
    assert all(r.n_members == 3 for r in result.values())
